#!/usr/bin/env python3
"""Check that report.html renders in headless Chromium with every image loaded.

    check_report.py REPORT_HTML SCREENSHOT_PNG [--width 1280] [--height 2000]

1. Static: the page is self-contained (images are data: URIs, nothing is
   fetched from the network).
2. Chromium loads the page and dumps the DOM; the report's inline script has
   marked <body data-images-loaded="N/M" data-images-broken="names">.
3. Chromium takes a screenshot of the top of the page; it must be a valid PNG
   of the window size and not a single colour.

Exit 0 on success, 1 with one line on stderr on failure, 77 when Chromium is
not installed (CTest's skip code). Standard library only, so any python3 runs it.
Chromium: $CHROMIUM, else chromium or chromium-browser on PATH.
"""
import argparse
import html.parser
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

PROG = "check_report.py"
SKIP = 77
TIMEOUT_S = 120


class CheckFailed(Exception):
    pass


def find_chromium():
    """$CHROMIUM when set (so a test can force the skip), else the usual names."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"])
    for candidate in ("chromium", "chromium-browser", "/usr/bin/chromium"):
        if shutil.which(candidate):
            return shutil.which(candidate)
    return None


class ResourceScanner(html.parser.HTMLParser):
    """Collects image sources and anything that would be fetched from elsewhere."""

    def __init__(self):
        super().__init__()
        self.images = []
        self.external = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append((attrs.get("data-name") or attrs.get("alt") or "?", attrs.get("src") or ""))
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            if key == "href" and tag == "a":
                continue  # links are not loaded with the page
            if value and not value.startswith(("data:", "#")):
                self.external.append(f"<{tag} {key}={value[:40]}...>")


def check_self_contained(path):
    with open(path, encoding="utf-8") as f:
        content = f.read()
    scanner = ResourceScanner()
    scanner.feed(content)
    if scanner.external:
        raise CheckFailed(f"{path} loads external resources: {', '.join(scanner.external[:5])}")
    if re.search(r"url\(\s*['\"]?(?!data:)[a-z]+://", content, re.IGNORECASE) or "@import" in content:
        raise CheckFailed(f"{path}: its CSS fetches external resources")
    not_embedded = [name for name, src in scanner.images if not src.startswith("data:image/")]
    if not_embedded:
        raise CheckFailed(f"{path}: images not embedded as data URIs: {', '.join(not_embedded)}")
    return len(scanner.images)


def chromium_command(chromium, profile, width, height):
    cmd = [chromium, "--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           "--disable-extensions", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
           f"--window-size={width},{height}", "--virtual-time-budget=15000"]
    if os.geteuid() == 0:
        cmd.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return cmd


def run_chromium(cmd):
    try:
        result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"chromium did not finish within {TIMEOUT_S} s")
    if result.returncode != 0:
        last = [line for line in result.stderr.decode(errors="replace").splitlines() if line.strip()]
        raise CheckFailed(f"chromium exited with {result.returncode}: {last[-1] if last else 'no message'}")
    return result.stdout.decode("utf-8", errors="replace")


def check_images_loaded(chromium, url, profile, expected):
    dom = run_chromium(chromium_command(chromium, profile, 1280, 1000) + ["--dump-dom", url])
    body = re.search(r"<body([^>]*)>", dom)
    if body is None:
        raise CheckFailed("chromium returned no <body>; the page did not load")
    loaded = re.search(r'data-images-loaded="(\d+)/(\d+)"', body.group(1))
    if loaded is None:
        raise CheckFailed("the page's image check did not run (no data-images-loaded on <body>); "
                          "the load event never fired or scripts are broken")
    ok, total = int(loaded.group(1)), int(loaded.group(2))
    if total != expected:
        raise CheckFailed(f"chromium saw {total} images, the HTML has {expected}")
    if ok != total:
        broken = re.search(r'data-images-broken="([^"]*)"', body.group(1))
        names = broken.group(1) if broken else "unknown"
        raise CheckFailed(f"{total - ok} of {total} images failed to load: {names}")
    return total


def take_screenshot(chromium, url, profile, out, width, height):
    if os.path.exists(out):
        os.remove(out)
    run_chromium(chromium_command(chromium, profile, width, height) + [f"--screenshot={out}", url])
    if not os.path.isfile(out):
        raise CheckFailed(f"chromium wrote no screenshot to {out}")


# A PNG decoder small enough to need nothing but zlib: it only has to tell
# the size and whether every pixel has the same colour.

def read_png(path):
    """(width, height, bytes per pixel, [(filter type, row bytes)])."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise CheckFailed(f"{path} is not a PNG file")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        crc = data[pos + 8 + length:pos + 12 + length]
        if len(chunk) != length or len(crc) != 4 or zlib.crc32(kind + chunk) != struct.unpack(">I", crc)[0]:
            raise CheckFailed(f"{path}: corrupt PNG chunk {kind!r}")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None or not idat:
        raise CheckFailed(f"{path}: PNG without header or image data")
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        raise CheckFailed(f"{path}: unexpected PNG format (depth {depth}, colour type {colour}, interlace {interlace})")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels + 1
    if len(raw) != stride * height:
        raise CheckFailed(f"{path}: PNG data has {len(raw)} bytes, expected {stride * height}")
    rows = [(raw[r * stride], raw[r * stride + 1:(r + 1) * stride]) for r in range(height)]
    return width, height, channels, rows


def unfilter_first_row(kind, row, bpp):
    out = bytearray(row)
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        if kind == 1:
            out[i] = (out[i] + left) & 0xFF
        elif kind == 3:
            out[i] = (out[i] + (left >> 1)) & 0xFF
        elif kind == 4:
            out[i] = (out[i] + left) & 0xFF  # Paeth with no row above picks the left pixel
    return bytes(out)


def filtered_uniform_row(kind, pixel, width, bpp):
    """How a row of one repeated pixel looks after PNG filter `kind`, given the same row above."""
    zeros = bytes(bpp)
    if kind == 0:
        return pixel * width
    if kind == 1:  # Sub: first pixel, then zero differences
        return pixel + zeros * (width - 1)
    if kind == 2:  # Up: zero differences to the identical row above
        return zeros * width
    if kind == 3:  # Average of left and above
        first = bytes((p - (p >> 1)) & 0xFF for p in pixel)
        return first + zeros * (width - 1)
    if kind == 4:  # Paeth predicts "above" for the first pixel, then "left"
        return zeros * width
    raise CheckFailed(f"unknown PNG filter type {kind}")


def is_single_colour(width, channels, rows):
    """True when every pixel has the same value.

    Decoding needs only the first row; if the image were uniform, every later
    row's filtered bytes would be a known pattern, so the first row that
    differs from that pattern proves the image is not blank.
    """
    first = unfilter_first_row(rows[0][0], rows[0][1], channels)
    pixel = first[:channels]
    if first != pixel * width:
        return False
    return all(row == filtered_uniform_row(kind, pixel, width, channels) for kind, row in rows[1:])


def check_screenshot(path, width, height):
    w, h, channels, rows = read_png(path)
    if (w, h) != (width, height):
        raise CheckFailed(f"screenshot {path} is {w}×{h}, expected {width}×{height}")
    if is_single_colour(w, channels, rows):
        raise CheckFailed(f"screenshot {path} is a single colour: the page rendered blank")


def main():
    parser = argparse.ArgumentParser(description="Render report.html in headless Chromium and check it.")
    parser.add_argument("report")
    parser.add_argument("screenshot")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2000)
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        print(f"{PROG}: chromium is not installed (Debian package chromium); skipping", file=sys.stderr)
        return SKIP
    try:
        if not os.path.isfile(args.report):
            raise CheckFailed(f"{args.report} does not exist")
        expected = check_self_contained(args.report)
        url = "file://" + os.path.abspath(args.report)
        with tempfile.TemporaryDirectory(prefix="check-report-") as profile:
            loaded = check_images_loaded(chromium, url, profile, expected)
            take_screenshot(chromium, url, profile, os.path.abspath(args.screenshot), args.width, args.height)
        check_screenshot(args.screenshot, args.width, args.height)
    except CheckFailed as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 1
    print(f"{PROG}: {loaded}/{expected} images loaded; screenshot {args.screenshot} ({args.width}×{args.height})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
