"""Chinese licence plate reading with OpenCV (classical detection + a small ONNX CTC recogniser).

Runtime needs only opencv-python-headless and numpy; the model ships in ``models/``.
"""

from plates.reading.reader import PlateReader, read_plates
from plates.reading.types import PLATE_COLORS, PlateReading

__all__ = ["PLATE_COLORS", "PlateReader", "PlateReading", "read_plates"]
