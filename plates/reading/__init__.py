"""Chinese licence plate reading with OpenCV: classical detection, a small ONNX CTC recogniser that
finds and reads the plates, and PaddleOCR's PP-OCRv4 recogniser (vendored, Apache-2.0) that reads
each found plate again.

Runtime needs only opencv-python-headless and numpy; the models ship in ``models/`` (provenance in
``models/PROVENANCE.md``). The validation protocol and the measured accuracy are in ``plates/README.md``.
"""

from plates.reading.reader import PlateReader, read_plates
from plates.reading.types import PLATE_COLORS, PlateReading

__all__ = ["PLATE_COLORS", "PlateReader", "PlateReading", "read_plates"]
