"""How much a study gains from running cells side by side: the same study run twice from scratch, by 2 processes
of 1 thread and by 1 process of 2 threads (one cell after another), each timed from the command's start to its
end (building and checking the configs, every cell, the report). Run it with nothing else running.

    python experiments/study_speed.py [experiments/studies/toy_parallel.yaml] [--keep DIR]
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(study: str, output_dir: Path, processes: int, threads: int) -> float:
    command = [sys.executable, "-m", "gan_manual", "study", study, "--output_dir", str(output_dir),
               "--processes", str(processes), "--threads", str(threads)]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("study", nargs="?", default="experiments/studies/toy_parallel.yaml")
    parser.add_argument("--keep", help="write the two studies here instead of a scratch folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(args.keep or scratch)
        parallel = timed(args.study, root / "2x1", processes=2, threads=1)
        serial = timed(args.study, root / "1x2", processes=1, threads=2)
    print(f"{args.study}: 2 processes x 1 thread {parallel:.0f} s; 1 process x 2 threads {serial:.0f} s; "
          f"ratio {parallel / serial:.2f}")


if __name__ == "__main__":
    main()
