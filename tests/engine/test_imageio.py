import errno
import os
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from nystra_app.engine import ImageError, Picture, read_image, write_image
from nystra_app.engine.imageio import MAX_SIDE, output_extension


def random_rgb(h=20, w=30, c=3, seed=0):
    return np.random.default_rng(seed).random((h, w, c), dtype=np.float32)


@pytest.mark.parametrize("ext", [".png", ".tif"])
@pytest.mark.parametrize("depth", [8, 16])
def test_round_trip_keeps_bit_depth(tmp_path, ext, depth):
    rgb = random_rgb()
    path = write_image(tmp_path / f"x{ext}", rgb, bit_depth=depth)
    picture = read_image(path)
    assert picture.bit_depth == depth
    assert picture.rgb.shape == rgb.shape and picture.rgb.dtype == np.float32
    assert np.abs(picture.rgb - rgb).max() <= 0.5 / (2**depth - 1) + 1e-6


def test_16_bit_precision_is_kept(tmp_path):
    raw = np.full((4, 5), 300, np.uint16)
    cv2.imwrite(str(tmp_path / "g16.png"), raw)
    picture = read_image(tmp_path / "g16.png")
    assert picture.bit_depth == 16 and picture.channels == 1
    assert np.allclose(picture.rgb, 300 / 65535)


def test_channel_order_is_rgb(tmp_path):
    Image.new("RGB", (3, 2), (255, 0, 0)).save(tmp_path / "red.png")
    assert read_image(tmp_path / "red.png").rgb[0, 0].tolist() == [1.0, 0.0, 0.0]


def test_rgba_alpha_round_trip_and_dropped_by_jpeg(tmp_path):
    rgb, alpha = random_rgb(), random_rgb(c=1, seed=1)[..., 0]
    picture = read_image(write_image(tmp_path / "a.png", rgb, alpha=alpha))
    assert picture.alpha is not None and np.abs(picture.alpha - alpha).max() <= 0.5 / 255 + 1e-6
    jpeg = read_image(write_image(tmp_path / "a.jpg", picture, bit_depth=16))
    assert jpeg.alpha is None and jpeg.bit_depth == 8 and jpeg.channels == 3


def test_grayscale_stays_one_channel(tmp_path):
    Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4) * 20, "L").save(tmp_path / "g.png")
    picture = read_image(tmp_path / "g.png")
    assert picture.rgb.shape == (3, 4, 1)
    again = read_image(write_image(tmp_path / "g2.png", picture))
    assert again.channels == 1 and np.array_equal(again.rgb, picture.rgb)


def test_gray_with_alpha(tmp_path):
    gray = np.full((3, 4), 100, np.uint8)
    alpha = np.full((3, 4), 50, np.uint8)
    Image.fromarray(np.stack([gray, alpha], -1), "LA").save(tmp_path / "la.png")
    picture = read_image(tmp_path / "la.png")
    assert picture.channels == 1 and np.allclose(picture.rgb, 100 / 255) and np.allclose(picture.alpha, 50 / 255)


def test_palette_png_is_decoded_to_rgb(tmp_path):
    image = Image.new("P", (4, 4), 1)
    image.putpalette([0, 0, 0, 0, 128, 255] + [0] * 762)
    image.save(tmp_path / "p.png")
    picture = read_image(tmp_path / "p.png")
    assert picture.channels == 3 and np.allclose(picture.rgb[0, 0], [0, 128 / 255, 1.0])


def quadrants() -> np.ndarray:
    """A 6x10 picture whose corners differ, so every flip and rotation is told apart."""
    a = np.zeros((6, 10, 3), np.uint8)
    a[:3, :5] = (255, 0, 0)
    a[:3, 5:] = (0, 255, 0)
    a[3:, :5] = (0, 0, 255)
    a[3:, 5:] = (255, 255, 255)
    return a


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow(tmp_path, orientation):
    image = Image.fromarray(quadrants())
    exif = Image.Exif()
    exif[0x0112] = orientation
    image.save(tmp_path / "o.png", exif=exif)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / "o.png")).convert("RGB")) / 255
    assert np.array_equal(read_image(tmp_path / "o.png").rgb, expected.astype(np.float32))


@pytest.mark.parametrize("orientation, corner", [(6, (0, 0, 255)), (8, (0, 255, 0))])
def test_exif_rotated_jpeg_is_rotated(tmp_path, orientation, corner):
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(quadrants()).save(tmp_path / "r.jpg", exif=exif, quality=100)
    picture = read_image(tmp_path / "r.jpg")
    assert picture.rgb.shape == (10, 6, 3)  # portrait now
    assert np.allclose(picture.rgb[0, 0], np.array(corner) / 255, atol=0.1)  # top-left after rotation


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def test_png_exif_after_the_pixels_is_still_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(quadrants()).save(tmp_path / "plain.png")
    data = (tmp_path / "plain.png").read_bytes()
    end = data.rindex(b"IEND") - 4  # the IEND chunk starts with its length
    (tmp_path / "late.png").write_bytes(data[:end] + png_chunk(b"eXIf", exif.tobytes()) + data[end:])
    expected = np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / "late.png")).convert("RGB")) / 255
    assert expected.shape[:2] == (10, 6)  # Pillow sees the late chunk: the check below can fail
    assert np.array_equal(read_image(tmp_path / "late.png").rgb, expected.astype(np.float32))


def test_a_png_is_decoded_once_by_cv2_not_also_by_pillow(tmp_path, monkeypatch):
    from PIL import ImageFile

    path = write_image(tmp_path / "a.png", random_rgb(64, 64))
    loads = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: loads.append(self) or real_load(self))
    assert read_image(path).rgb.shape == (64, 64, 3)
    assert loads == []


def test_non_ascii_path(tmp_path):
    path = write_image(tmp_path / "фото é.png", random_rgb())
    assert read_image(path).rgb.shape == (20, 30, 3)


def test_missing_file(tmp_path):
    with pytest.raises(ImageError, match="not found"):
        read_image(tmp_path / "nope.png")


def test_text_file_named_png(tmp_path):
    (tmp_path / "t.png").write_text("hello, not a picture")
    with pytest.raises(ImageError, match="not an image"):
        read_image(tmp_path / "t.png")


def test_truncated_png(tmp_path):
    write_image(tmp_path / "full.png", random_rgb(64, 64))
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="corrupt or truncated") as info:
        read_image(tmp_path / "cut.png")
    assert "cut.png" in str(info.value) and "\n" not in str(info.value)


def test_too_large_is_refused_before_decoding(tmp_path):
    Image.new("L", (MAX_SIDE + 1, 1)).save(tmp_path / "wide.png")
    with pytest.raises(ImageError, match="too large"):
        read_image(tmp_path / "wide.png")


def test_float_tiff_is_refused(tmp_path):
    cv2.imwrite(str(tmp_path / "f.tif"), np.ones((4, 4, 3), np.float32))
    with pytest.raises(ImageError, match="floating-point"):
        read_image(tmp_path / "f.tif")


def test_atomic_write_leaves_only_the_file(tmp_path):
    write_image(tmp_path / "out.png", random_rgb())
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]
    assert (tmp_path / "out.png").stat().st_mode & 0o044  # readable by others, unlike mkstemp's 0o600


def test_failed_write_removes_temp_and_keeps_old_file(tmp_path, monkeypatch):
    target = write_image(tmp_path / "out.png", random_rgb())
    before = target.read_bytes()

    def full_disk(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(ImageError, match="No space left"):
        write_image(target, random_rgb(seed=5))
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"] and target.read_bytes() == before


def test_refuses_to_overwrite_protected_input(tmp_path):
    source = write_image(tmp_path / "in.png", random_rgb())
    before = source.read_bytes()
    with pytest.raises(ImageError, match="input"):
        write_image(tmp_path / "sub" / ".." / "in.png", random_rgb(seed=2), protect=[source])
    assert source.read_bytes() == before


def test_unknown_output_extension(tmp_path):
    with pytest.raises(ImageError, match="cannot write"):
        write_image(tmp_path / "x.xyz", random_rgb())


def test_output_extension_follows_input(tmp_path):
    picture = Picture(random_rgb(), path=tmp_path / "a.JPEG", format="JPEG")
    assert output_extension(picture) == ".jpeg"
    assert output_extension(picture, "tif") == ".tif"
    with pytest.raises(ImageError):
        output_extension(picture, "gif")


def test_jpeg_quality_is_honoured(tmp_path):
    rgb = np.random.default_rng(1).random((64, 64, 3), dtype=np.float32)
    low = write_image(tmp_path / "low.jpg", rgb, quality=20).stat().st_size
    high = write_image(tmp_path / "high.jpg", rgb, quality=95).stat().st_size
    assert low < high
