"""Issue 14.4: CPU time and peak memory per photo upload, before and after, on the same inputs.

One command:

    .venv/bin/python bench/photos/run.py [--before /work/main] [--repeats 3]

Measures the code of this tree ("after") and, with ``--before DIR``, the code of another checkout of the
project ("before", e.g. main), read-only: the measuring child runs with ``PYTHONPATH=DIR``, cwd in a
temporary directory and ``PYTHONDONTWRITEBYTECODE=1``, so nothing is written into DIR.

Inputs (made once, deterministic):
- ``png_7000`` — a ≈200 kB PNG of 7000×7000 px (49 MP, one flat colour with a few shapes: the cheap-to-send,
  costly-to-decode upload of the issue);
- ``png_48mp`` — the same kind of PNG at 8000×6000 px (48 MP: the largest a phone camera makes);
- ``jpeg_12mp`` — a 4000×3000 JPEG with EXIF (GPS, time) and photo-like content (a normal phone photo);
- ``jpeg_12mp_duplicate`` — the same JPEG sent again for the same record (a phone's retry).

Each measurement is one fresh process (embedded settings: a SQLite file and a media folder of its own, the
tasks queued in memory, not run), so peak memory is the upload's alone: the child resets the kernel's
high-water mark (``/proc/self/clear_refs``), calls ``media.services.photo_attach`` as the upload endpoint
does, and reports the CPU time (user + system, ``getrusage``), the wall time, and the peak resident memory
above what the process held before (``VmHWM`` − ``VmRSS``). The thumbnail (what the Celery worker, or now
a first thumbnail request, does) is measured the same way, in a second step: ``photo_thumbnail_make``.
Prints markdown; writes ``bench/out/photos.json`` and ``bench/out/photos.md``. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = REPO_ROOT / "bench" / "out"
CASES = ["png_7000", "png_48mp", "jpeg_12mp", "jpeg_12mp_duplicate"]


def log(message: str) -> None:
    print(message, flush=True)


# --- inputs ----------------------------------------------------------------------------------------


def make_inputs(folder: Path) -> dict[str, dict]:
    import random

    from PIL import Image, ImageDraw

    def flat_png(size: tuple[int, int]) -> bytes:
        img = Image.new("RGB", size, (70, 130, 60))
        draw = ImageDraw.Draw(img)
        for i in range(12):
            x, y = size[0] * i // 12, size[1] * ((i * 7) % 12) // 12
            draw.rectangle([x, y, x + size[0] // 20, y + size[1] // 20], fill=(200, 40 + i * 10, 30))
        buf = io.BytesIO()
        img.save(buf, "PNG", optimize=True)
        return buf.getvalue()

    def photo_jpeg() -> bytes:
        rng = random.Random(1)
        w, h = 4000, 3000
        # Photo-like: smooth light over a field of small noisy leaves (compresses like a real photo, 3-5 MB).
        base = Image.linear_gradient("L").resize((w, h)).convert("RGB")
        noise = Image.effect_noise((w, h), 40).convert("RGB")
        img = Image.blend(base, noise, 0.5)
        draw = ImageDraw.Draw(img)
        for _ in range(3000):
            x, y, r = rng.randrange(w), rng.randrange(h), rng.randrange(4, 30)
            draw.ellipse([x, y, x + r, y + r], fill=(rng.randrange(30, 90), rng.randrange(100, 200), 40))
        exif = Image.Exif()
        gps = exif.get_ifd(0x8825)
        gps[1], gps[3] = "N", "E"
        gps[2], gps[4] = (23.0, 54.0, 13.0), (106.0, 36.0, 52.0)
        exif.get_ifd(0x8769)[36867] = "2025:03:01 10:20:30"
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=92, exif=exif)
        return buf.getvalue()

    made = {"png_7000": ("png", lambda: flat_png((7000, 7000))), "png_48mp": ("png", lambda: flat_png((8000, 6000))),
            "jpeg_12mp": ("jpg", photo_jpeg)}
    inputs = {}
    for name, (ext, build) in made.items():
        path = folder / f"{name}.{ext}"
        if not path.exists():
            path.write_bytes(build())
        with Image.open(path) as img:
            inputs[name] = {"path": str(path), "bytes": path.stat().st_size, "size": list(img.size)}
    inputs["jpeg_12mp_duplicate"] = dict(inputs["jpeg_12mp"])
    return inputs


# --- the measuring child ---------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _measure(fn):
    import resource
    import time

    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    rss_before = _status_kb("VmRSS")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter()
    error = None
    try:
        result = fn()
    except Exception as exc:  # a refusal is a result too (e.g. 413 image_too_large)
        result, error = None, f"{exc.__class__.__name__}: {getattr(exc, 'code', '')} {exc}"[:200]
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_SELF)
    return result, {
        "cpu_s": round((after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime), 3),
        "wall_s": round(wall, 3),
        "peak_mb": round((_status_kb("VmHWM") - rss_before) / 1024, 1),
        "error": error,
    }


def child(case: str, input_path: str, owner_id: int) -> dict:
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from accounts.models import Role, User
    from media.models import PhotoOwner
    from media.services import photo_attach
    from media.thumbnails import photo_thumbnail_make

    call_command("migrate", verbosity=0, interactive=False)
    from villages.models import Area

    Area.objects.get_or_create(code="451000", defaults={"name": "百色市", "level": "city"})
    user = User.objects.filter(phone="13900000000").first() or User.objects.create(
        phone="13900000000", name="bench", role=Role.BUREAU, area_id="451000")
    raw = Path(input_path).read_bytes()

    def attach():
        upload = SimpleUploadedFile(Path(input_path).name, raw, content_type="application/octet-stream")
        return photo_attach(owner_kind=PhotoOwner.PROBLEM, owner_id=owner_id, uploaded_by=user, upload=upload)

    if case.endswith("_duplicate"):
        attach()  # the first upload, not measured
    import gc

    gc.collect()
    result, upload = _measure(attach)
    out = {"upload": upload}
    if result is not None:
        photo, created = result
        out["created"] = created
        out["stored"] = {"width": photo.width, "height": photo.height, "bytes": photo.file.size}
        if created:
            gc.collect()
            _, thumb = _measure(lambda: photo_thumbnail_make(photo=photo))
            out["thumbnail"] = thumb
    return out


# --- the runner ------------------------------------------------------------------------------------


def run_child(code: Path, work: Path, case: str, input_path: str, owner_id: int) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(
        PYTHONPATH=str(code), PYTHONDONTWRITEBYTECODE="1", DJANGO_SETTINGS_MODULE="config.settings",
        DATA_DIR=str(work), MEDIA_ROOT=str(work / "media"), STATIC_ROOT=str(work / "static"), DEBUG="0",
        SECRET_KEY="bench-photos-only-secret-key-never-used-for-anything-real-0123456789",
        # A broker that is not eager: the thumbnail task is queued in memory and not run, as in production
        # where a worker runs it; the child measures the thumbnail on its own.
        CELERY_BROKER_URL="memory://localhost/",
    )
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", case, input_path, str(owner_id)]
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"child failed for {case} on {code}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict], step: str, key: str) -> float | None:
    values = [r[step][key] for r in runs if step in r]
    return round(statistics.median(values), 3) if values else None


def measure_code(label: str, code: Path, inputs: dict, repeats: int, work: Path) -> dict:
    results = {}
    owner = 0
    for case in CASES:
        runs = []
        for _ in range(repeats):
            owner += 1
            runs.append(run_child(code, work / label, case, inputs[case]["path"], owner))
        summary = {"runs": runs}
        for step in ("upload", "thumbnail"):
            if any(step in r for r in runs):
                summary[step] = {k: median_of(runs, step, k) for k in ("cpu_s", "wall_s", "peak_mb")}
        summary["outcome"] = runs[0]["upload"]["error"] or ("stored" if runs[0].get("created") else "the first photo")
        results[case] = summary
        up = summary["upload"]
        log(f"  {label:6} {case:20} upload cpu {up['cpu_s']:6.2f} s  peak {up['peak_mb']:7.1f} MB  "
            f"→ {summary['outcome']}" + (f"; thumbnail cpu {summary['thumbnail']['cpu_s']:.2f} s peak "
                                         f"{summary['thumbnail']['peak_mb']:.1f} MB" if "thumbnail" in summary else ""))
    return results


def markdown(result: dict) -> str:
    labels = list(result["measured"])
    lines = [f"Photo uploads, median of {result['repeats']} fresh processes each; CPU = user + system; peak = resident "
             "memory above the process's own before the call.", ""]
    head = "| input | " + " | ".join(f"{lab}: upload CPU s | {lab}: peak MB | {lab}: outcome" for lab in labels) + " |"
    lines += [head, "|" + " --- |" * (1 + 3 * len(labels))]
    for case in CASES:
        info = result["inputs"][case]
        cells = []
        for lab in labels:
            m = result["measured"][lab][case]
            cells += [f"{m['upload']['cpu_s']}", f"{m['upload']['peak_mb']}", m["outcome"].split(":")[0]
                      if m["outcome"] not in ("stored", "the first photo") else m["outcome"]]
        lines.append(f"| {case} ({info['size'][0]}×{info['size'][1]}, {info['bytes'] // 1024} kB) | "
                     + " | ".join(cells) + " |")
    lines += ["", "Thumbnail (the worker's task, or a first thumbnail request), after a stored upload:", "",
              "| input | " + " | ".join(f"{lab}: CPU s | {lab}: peak MB" for lab in labels) + " |",
              "|" + " --- |" * (1 + 2 * len(labels))]
    for case in CASES:
        cells = []
        for lab in labels:
            t = result["measured"][lab][case].get("thumbnail")
            cells += [str(t["cpu_s"]), str(t["peak_mb"])] if t else ["–", "–"]
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="another checkout of the project to measure as 'before'")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("CASE", "INPUT", "OWNER_ID"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        case, input_path, owner_id = args.child
        print(json.dumps(child(case, input_path, int(owner_id))))
        return 0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    inputs_dir = OUT_DIR / "photos_inputs"
    inputs_dir.mkdir(exist_ok=True)
    inputs = make_inputs(inputs_dir)
    for name, info in inputs.items():
        log(f"input {name}: {info['size'][0]}×{info['size'][1]}, {info['bytes']:,} bytes")
    codes = ([("before", args.before.resolve())] if args.before else []) + [("after", REPO_ROOT)]
    measured = {}
    with tempfile.TemporaryDirectory(prefix="bench-photos-") as tmp:
        for label, code in codes:
            log(f"{label}: {code}")
            measured[label] = measure_code(label, code, inputs, args.repeats, Path(tmp))
    result = {"repeats": args.repeats, "inputs": inputs, "codes": {k: str(v) for k, v in codes},
              "measured": measured, "nproc": os.cpu_count()}
    (OUT_DIR / "photos.json").write_text(json.dumps(result, indent=2))
    text = markdown(result)
    (OUT_DIR / "photos.md").write_text(text + "\n")
    log("")
    log(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
