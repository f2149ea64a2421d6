"""Trains the classifier that gan_manual's image metrics use, and writes its weights into the package.

    python experiments/train_classifier.py --dataset mnist [--root DIR] [--epochs 4] [--seed 0]

Seeded. Prints the test accuracy (experiments/RESULTS.md records it) and writes
gan_manual/metrics/weights/lenet_<dataset>.pt: the state_dict and how it was made.
"""

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from gan_manual.data import FashionMNISTDataModule, MNISTDataModule
from gan_manual.data.images import to_unit_range
from gan_manual.metrics.classifier import WEIGHTS, LeNet

DATA = {"mnist": MNISTDataModule, "fashion_mnist": FashionMNISTDataModule}
OUT = Path(__file__).resolve().parent.parent / "gan_manual" / "metrics" / "weights"


@torch.no_grad()
def accuracy(net: LeNet, images: torch.Tensor, labels: torch.Tensor) -> float:
    net.eval()
    correct = sum((net(to_unit_range(images[i : i + 1000])).argmax(1) == labels[i : i + 1000]).sum().item()
                  for i in range(0, len(images), 1000))
    return correct / len(images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=sorted(DATA), default="mnist")
    parser.add_argument("--root", default=None, help="folder holding MNIST/raw/ (default: $GAN_MANUAL_DATA)")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    data = DATA[args.dataset](root=args.root)
    data.setup("fit")
    (images, labels), (test_images, test_labels) = data.train_tensors, data.eval_tensors
    net = LeNet()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    steps = args.epochs * (len(images) // args.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=steps)
    rng = torch.Generator().manual_seed(args.seed)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        net.train()
        order = torch.randperm(len(images), generator=rng)
        for i in range(len(images) // args.batch_size):
            idx = order[i * args.batch_size : (i + 1) * args.batch_size]
            # Light augmentation: shifts of up to 2 pixels, so the features do not key on exact positions.
            shift = torch.randint(-2, 3, (2,), generator=rng).tolist()
            batch = torch.roll(to_unit_range(images[idx]), shifts=shift, dims=(2, 3))
            loss = F.cross_entropy(net(batch), labels[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}, test accuracy {accuracy(net, test_images, test_labels):.4f}, "
              f"{time.perf_counter() - start:.0f} s", flush=True)
    acc = accuracy(net, test_images, test_labels)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / WEIGHTS.get(args.dataset, f"lenet_{args.dataset}.pt")
    torch.save({"state_dict": net.state_dict(), "test_accuracy": acc, "epochs": args.epochs, "seed": args.seed}, path)
    print(f"test accuracy {acc:.4f} on {len(test_images)} {args.dataset} test images; wrote {path} "
          f"({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
