"""Type stubs of the extension module (see nsdf_shapes/__init__.py for the documentation)."""

from typing import Any, Callable, Optional, Tuple

import numpy as np
import numpy.typing as npt

__version__: str

class NsdfError(Exception):
    """``code``: the spec's stable code (e.g. ``"NSDF-E008"``) for a bad .nsdf file, or
    ``"mesh"``, ``"train"``, ``"inaccurate"``, ``"budget"`` when packing; ``offset``: the byte
    offset of the problem in the file, or None."""

    code: str
    offset: Optional[int]

class Shape:
    @staticmethod
    def from_bytes(data: bytes) -> Shape: ...
    def to_bytes(self) -> bytes: ...
    def save(self, path: str) -> None: ...
    def distance(self, points: npt.ArrayLike) -> npt.NDArray[np.float32]: ...
    def __call__(self, points: npt.ArrayLike) -> npt.NDArray[np.float32]: ...
    def gradient(self, points: npt.ArrayLike) -> npt.NDArray[np.float32]: ...
    @property
    def bounds(self) -> npt.NDArray[np.float32]: ...
    @property
    def info(self) -> dict[str, Any]: ...
    def layers(self) -> list[dict[str, Any]]: ...
    def grid_values(self) -> Optional[np.ndarray]: ...
    def mesh(
        self, resolution: int = 256
    ) -> Tuple[npt.NDArray[np.float32], npt.NDArray[np.uint32]]: ...
    def render(
        self,
        width: int = 512,
        height: int = 512,
        azimuth: float = 30.0,
        elevation: float = 20.0,
        fov: float = 30.0,
    ) -> npt.NDArray[np.uint8]: ...
    def grid(
        self, resolution: int = 128, margin: float = 0.05
    ) -> Tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], float]: ...
    def bake(
        self,
        path: str,
        resolution: int = 128,
        texel: str = "f16",
        band: Optional[float] = None,
        margin: float = 0.05,
        source: Optional[str] = None,
        exact: bool = False,
    ) -> dict[str, Any]: ...
    def compare(
        self, mesh: str, resolution: int = 128, samples: int = 100000, seed: int = 0
    ) -> dict[str, Optional[float]]: ...

def open(path: str) -> Shape: ...
def pack(
    mesh: Any,
    *,
    budget: Optional[int] = None,
    quant: Optional[str] = None,
    epochs: Optional[int] = None,
    seed: int = 0,
    threads: Optional[int] = None,
    progress: Optional[Callable[[dict[str, Any]], None]] = None,
    layers: Optional[int] = None,
    width: Optional[int] = None,
    activation: Optional[str] = None,
    keep_inaccurate: bool = False,
    time_budget: Optional[float] = None,
    recipe: Optional[str] = None,
    encoding: Optional[str] = None,
) -> Shape: ...
