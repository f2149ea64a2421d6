"""A small MNIST classifier, trained by ``experiments/train_classifier.py`` and shipped inside the
package: its penultimate layer is the offline feature space for FID/KID/precision-recall, its logits serve the
Inception Score and the class histogram.

Every GAN library measures with Inception-v3 weights fetched at run time. This one works with no network;
Inception FID stays possible where a user has its weights (:class:`gan_manual.metrics.InceptionFID`).
"""

from importlib import resources

import torch
from torch import Tensor, nn

from gan_manual.errors import ConfigError

#: Shipped weights: ``name -> file`` under gan_manual/metrics/weights/. Only MNIST's are shipped: a classifier for
#: other 28x28 data (``experiments/train_classifier.py --dataset fashion_mnist``) joins here with its file.
WEIGHTS = {"mnist": "lenet_mnist.pt"}


class LeNet(nn.Module):
    """Two 5x5 conv+pool stages and two linear layers (LeCun et al. 1998, widened: 32/64 channels).

    Input ``(B, 1, 28, 28)`` in [-1, 1] (the GAN's range), any float dtype; ``features`` ``(B, 128)``;
    ``forward`` returns logits ``(B, 10)``.
    """

    num_features = 128

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 14 x 14
            nn.Conv2d(32, 64, 5), nn.ReLU(), nn.MaxPool2d(2),  # 64 x 5 x 5
            nn.Flatten(), nn.Linear(64 * 5 * 5, self.num_features), nn.ReLU(),
        )
        self.head = nn.Linear(self.num_features, num_classes)

    def features(self, x: Tensor) -> Tensor:
        return self.body(x.float())

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


def load_classifier(name: str = "mnist") -> LeNet:
    """The shipped classifier ``name`` (a key of :data:`WEIGHTS`), in eval mode, gradients off."""
    if name not in WEIGHTS:
        raise ConfigError(f"classifier: {name!r} is not one of {sorted(WEIGHTS)}")
    path = resources.files("gan_manual.metrics") / "weights" / WEIGHTS[name]
    if not path.is_file():
        raise ConfigError(f"classifier: no shipped weights for {name!r} ({WEIGHTS[name]}); train them with "
                                f"experiments/train_classifier.py --dataset {name}")
    with resources.as_file(path) as file:
        saved = torch.load(file, map_location="cpu", weights_only=True)
    net = LeNet()
    net.load_state_dict(saved["state_dict"])
    return net.eval().requires_grad_(False)
