#!/usr/bin/env python3
"""Benchmarks: lsquared and its peers on the same input, in one run, with ratios.

    python benchmarks/run.py develop [--input RAW] [--repeat 2]
    python benchmarks/run.py calibrate [--shots 12] [--size 6000x4000]
    python benchmarks/run.py develop --opcodes [--width 6000 --height 4000]
    python benchmarks/run.py demosaic --width 6000 --height 4000   # AHD vs Menon in-process

Each tool runs as its own process (start-up included, as a user sees it); wall time is the
best of ``--repeat`` runs and peak memory is the process's maximum resident set (wait4).
Peers missing from the machine are installed from Debian's packages when ``--install``
is given (the default when running as root), otherwise reported as missing.
Output, one line per job and peer (docs/architecture.md):
``job  lsquared_s  peer  peer_s  ratio`` followed by peak memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
DEBIAN_PACKAGE = {
    "darktable-cli": "darktable",
    "rawtherapee-cli": "rawtherapee",
    "ffmpeg": "ffmpeg",
}


def ensure_tool(name: str, install: bool) -> str | None:
    """Path of a peer's command, installing its Debian package if allowed."""
    found = shutil.which(name)
    if found or not install or name not in DEBIAN_PACKAGE:
        return found
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", DEBIAN_PACKAGE[name]],
        check=False,
        env=env,
    )
    return shutil.which(name)


def measure(cmd: list[str], repeat: int, cwd: str | None = None) -> tuple[float, float]:
    """(best wall seconds, peak RSS in MB) over ``repeat`` runs of ``cmd``."""
    best, peak = float("inf"), 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            err = proc.stderr.read().decode(errors="replace")[-400:] if proc.stderr else ""
            raise RuntimeError(f"{cmd[0]} failed: {err}")
        best = min(best, elapsed)
        peak = max(peak, usage.ru_maxrss / 1024)
    return best, peak


def report(job: str, ours: tuple[float, float], peers: dict[str, tuple[float, float] | None]):
    print(f"\n{job}: lsquared {ours[0]:.2f} s, peak {ours[1]:.0f} MB")
    print(f"{'job':10} {'lsquared_s':>10}  {'peer':16} {'peer_s':>8} {'ratio':>7} {'peer_MB':>8}")
    for name, value in peers.items():
        if value is None:
            print(f"{job:10} {ours[0]:10.2f}  {name:16} {'missing':>8}")
            continue
        print(
            f"{job:10} {ours[0]:10.2f}  {name:16} {value[0]:8.2f} {value[0] / ours[0]:6.2f}x {value[1]:8.0f}"
        )
    print("(ratio = peer seconds / lsquared seconds; > 1 means lsquared is faster)")


def _gain_map_list(width: int, height: int) -> bytes:
    """OpcodeList2 with four per-CFA-site GainMaps (pitch 2, 17 x 17 points each), packed
    from the DNG specification's layout (7.3, GainMap)."""
    import struct

    records = b""
    for site, (row, col) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        gains = [1.0 + (0.3 + 0.02 * site) * ((i / 16 - 0.5) ** 2 + (j / 16 - 0.5) ** 2)
                 for i in range(17) for j in range(17)]  # fmt: skip
        params = struct.pack(">8I", row, col, height, width, 0, 1, 2, 2)
        params += struct.pack(">2I4dI", 17, 17, 1 / 16, 1 / 16, 0.0, 0.0, 1)
        params += struct.pack(f">{len(gains)}f", *gains)
        records += struct.pack(">I4BII", 9, 1, 3, 0, 0, 0, len(params)) + params
    return struct.pack(">I", 4) + records


def _run_once(cmd: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds (user + system), peak RSS in MB) of one run of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        err = proc.stderr.read().decode(errors="replace")[-400:] if proc.stderr else ""
        raise RuntimeError(f"{cmd[0]} failed: {err}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _opcode_stages(plain: Path, with_ops: Path, repeat: int) -> None:
    """Where the time goes, in-process (best of ``repeat``, wall and CPU): decoding (lists 2
    and 3's pixel opcodes included), compiling, the lens stage's remap alone and the colour
    program alone."""
    from lsquared import engine
    from lsquared.io import raw as rawio
    from lsquared.kernels import get_renderer
    from lsquared.pipeline.ops import Program
    from lsquared.pipeline.recipe import Recipe

    cpu = get_renderer("cpu")
    rows = []
    for name, path, lens in (("plain", plain, "none"), ("opcodes", with_ops, "embedded")):
        recipe = Recipe().replace("lens", source=lens).replace("output", format="tif16")
        image = rawio.read_raw(path, "AHD")
        processor = engine.compile(recipe, image)
        geometry, point = processor.program.geometry, processor.program.point
        stages = {
            "decode": lambda p=path: rawio.read_raw(p, "AHD"),
            "compile": lambda r=recipe, i=image: engine.compile(r, i),
            "remap": lambda g=geometry, i=image: cpu.run(Program(g, ()), i.pixels) if g else None,
            "colour": lambda q=point, i=image: cpu.run(Program((), q), i.pixels, 16),
        }
        for fn in stages.values():
            fn()  # load the numba caches
        rows.append((name, {k: _best_wall_cpu(fn, repeat) for k, fn in stages.items()}))
        del image
    print(f"{'in-process':10} " + " ".join(f"{k + ' s (CPU)':>18}" for k in rows[0][1]))
    for name, times in rows:
        print(f"{name:10} " + " ".join(f"{w:10.2f} ({c:5.2f})" for w, c in times.values()))


def _best_wall_cpu(fn, repeat: int) -> tuple[float, float]:
    """Best wall seconds and best CPU seconds of this process (all threads) over
    ``repeat`` calls of ``fn``."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def job_develop_opcodes(args) -> None:
    """The cost of opcode processing: ``lsq develop`` of a simulated DNG, then of the same
    DNG carrying four GainMaps (OpcodeList2) and a 3-plane WarpRectilinear (OpcodeList3)
    with ``--lens embedded``; the issue's target is at most 10 % more. The two commands run
    alternately (best of ``--repeat`` each, so a change in the machine's load hits both),
    then the stages are timed in-process."""
    import tifffile

    work = Path(tempfile.mkdtemp(prefix="lsq-bench-"))
    plain, with_ops = work / "plain.dng", work / "opcodes.dng"
    w, h = args.width, args.height
    print(f"simulating two {w} x {h} DNGs ...", flush=True)
    code = (
        "from lsquared import simulate; import sys; "
        f"simulate.simulate(sys.argv[1], width={w}, height={h}); "
        f"simulate.simulate(sys.argv[2], width={w}, height={h}, embed_opcodes=True, "
        "warp=simulate.Warp(((1.0, 0, 0.012, 0), (1.0, 0, 0.01, 0), (1.0, 0, 0.008, 0))), "
        "vignetting=simulate.Vignetting((0.3, 0, 0, 0, 0)))"
    )
    subprocess.run([PY, "-c", code, str(plain), str(with_ops)], check=True)
    with tifffile.TiffFile(with_ops, mode="r+b") as tif:  # the vignette list -> GainMaps
        tif.pages[0].tags["OpcodeList2"].overwrite(_gain_map_list(w, h))
    cmds = {
        name: [PY, "-m", "lsquared", "develop", str(path), "-o", str(work / f"{name}.tif"),
               "--format", "tif16", *extra]
        for name, path, extra in (("plain", plain, ["--lens", "none"]),
                                  ("opcodes", with_ops, ["--lens", "embedded"]))
    }  # fmt: skip
    for cmd in cmds.values():
        subprocess.run(cmd, check=True, capture_output=True)  # warm the numba disk cache
    runs = {name: [] for name in cmds}
    for _ in range(args.repeat):
        for name, cmd in cmds.items():
            runs[name].append(_run_once(cmd))
    best = {name: tuple(min(r[i] for r in rs) for i in range(2)) for name, rs in runs.items()}
    peak = {name: max(r[2] for r in rs) for name, rs in runs.items()}
    wall = best["opcodes"][0] / best["plain"][0] - 1
    cpu = best["opcodes"][1] / best["plain"][1] - 1
    print(f"\ndevelop --opcodes ({w} x {h}): plain {best['plain'][0]:.2f} s, with 4 GainMaps + "
          f"WarpRectilinear {best['opcodes'][0]:.2f} s: {100 * wall:+.1f} % "
          f"(CPU {best['plain'][1]:.2f} / {best['opcodes'][1]:.2f} s: {100 * cpu:+.1f} %; "
          f"peak {peak['plain']:.0f} / {peak['opcodes']:.0f} MB)", flush=True)  # fmt: skip
    _opcode_stages(plain, with_ops, args.repeat)
    shutil.rmtree(work, ignore_errors=True)


def job_develop(args) -> None:
    if args.opcodes:
        job_develop_opcodes(args)
        return
    work = Path(tempfile.mkdtemp(prefix="lsq-bench-"))
    if args.input:
        raw = Path(args.input)
    else:
        raw = work / "sim-24mp.dng"
        print("simulating a 6000 x 4000 (24 MP) DNG ...", flush=True)
        subprocess.run(
            [
                PY,
                "-c",
                f"from lsquared.simulate import simulate; simulate({str(raw)!r}, width=6000, height=4000)",
            ],
            check=True,
        )
    print(f"input: {raw} ({raw.stat().st_size / 1e6:.0f} MB)", flush=True)
    lsq = [
        PY,
        "-m",
        "lsquared",
        "develop",
        str(raw),
        "-o",
        str(work / "lsq.tif"),
        "--format",
        "tif16",
    ]
    subprocess.run(lsq, check=True, capture_output=True)  # warm the numba disk cache
    ours = measure(lsq, args.repeat)
    peers: dict[str, tuple[float, float] | None] = {}
    rawpy_script = (
        "import rawpy, tifffile, sys; r = rawpy.imread(sys.argv[1]); "
        "tifffile.imwrite(sys.argv[2], r.postprocess(output_bps=16))"
    )
    peers["rawpy"] = measure(
        [PY, "-c", rawpy_script, str(raw), str(work / "rawpy.tif")], args.repeat
    )
    dt = ensure_tool("darktable-cli", args.install)
    if dt:
        conf = work / "dtconf"
        conf.mkdir()
        peers["darktable-cli"] = measure(
            [dt, str(raw), str(work / "dt.tif"), "--core", "--configdir", str(conf),
             "--conf", "plugins/imageio/format/tiff/bpp=16"],
            args.repeat,
        )  # fmt: skip
    else:
        peers["darktable-cli"] = None
    rt = ensure_tool("rawtherapee-cli", args.install)
    if rt:
        peers["rawtherapee-cli"] = measure(
            [rt, "-o", str(work / "rt.tif"), "-t", "-b16", "-Y", "-c", str(raw)], args.repeat
        )
    else:
        peers["rawtherapee-cli"] = None
    report("develop", ours, peers)
    shutil.rmtree(work, ignore_errors=True)


def job_demosaic(args) -> None:
    """In-process decode (LibRaw unpack + demosaic to camera RGB) and whole develop to a
    16-bit TIFF, with LibRaw's AHD and with lsquared's Menon 2007, on the same DNG."""
    from lsquared import engine
    from lsquared.io import raw as rawio
    from lsquared.kernels.demosaic import menon2007
    from lsquared.pipeline.recipe import Recipe
    from lsquared.simulate import simulate

    work = Path(tempfile.mkdtemp(prefix="lsq-bench-"))
    source = Path(args.input) if args.input else work / "sim.dng"
    if not args.input:
        print(f"simulating a {args.width} x {args.height} DNG ...", flush=True)
        simulate(source, width=args.width, height=args.height)
    decode = {
        "AHD": lambda: rawio.read_raw(source, "AHD"),
        "MENON": lambda: rawio.read_raw(source, "MENON", menon2007),
    }
    print(f"{'demosaic':10} {'decode_ms':>10} {'develop_ms':>11}")
    for name, fn in decode.items():
        recipe = Recipe().replace("demosaic", algorithm=name)
        engine.develop_file(source, work / "warm.tif", recipe)  # compile kernels, warm caches
        develop_ms = _best_ms(
            lambda r=recipe: engine.develop_file(source, work / "out.tif", r), args.repeat
        )
        print(f"{name:10} {_best_ms(fn, args.repeat):10.0f} {develop_ms:11.0f}", flush=True)
    shutil.rmtree(work, ignore_errors=True)


def _best_ms(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def _ffmpeg_ms_per_frame(
    ffmpeg: str, raw: Path, w: int, h: int, frames: int, vf: str | None
) -> float:
    cmd = [ffmpeg, "-v", "error", "-f", "rawvideo", "-pix_fmt", "gbrpf32le", "-s", f"{w}x{h}",
           "-i", str(raw)]  # fmt: skip
    if vf:
        cmd += ["-vf", vf]
    cmd += ["-f", "rawvideo", "-pix_fmt", "gbrpf32le", "-y", "/dev/null"]
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    return (time.perf_counter() - start) * 1000 / frames


def job_lut(args) -> None:
    """A 33^3 LUT on a 3840x2160 float32 frame: lsquared's kernel, ffmpeg lut3d, OpenColorIO;
    then the fused V-Log -> look -> Rec.709 pass against one plain copy of the frame."""
    import numba
    import numpy as np
    import PyOpenColorIO as OCIO

    from lsquared import engine
    from lsquared.kernels.cpu import CpuRenderer
    from lsquared.looks.files import read_lut, write_lut
    from lsquared.pipeline.compiler import lut_ops
    from lsquared.pipeline.ops import Program
    from lsquared.pipeline.recipe import Recipe

    work = Path(tempfile.mkdtemp(prefix="lsq-bench-"))
    (w, h), frames = map(int, args.frame.split("x")), 8
    rng = np.random.default_rng(0)
    frame = rng.random((h, w, 3), dtype=np.float32)
    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), "teal-orange")
    cube = work / "look33.cube"
    write_lut(engine.bake_lut(recipe, "vlog", 33), cube)
    renderer = CpuRenderer()
    program = Program((), tuple(lut_ops(read_lut(cube), "bench")))
    renderer.run(program, frame[:8])
    ours = _best_ms(lambda: renderer.run(program, frame), args.repeat * 3)
    proc = (
        OCIO.Config.CreateRaw()
        .getProcessor(OCIO.FileTransform(src=str(cube), interpolation=OCIO.INTERP_TETRAHEDRAL))
        .getDefaultCPUProcessor()
    )
    buf = frame.copy()
    ocio = _best_ms(lambda: proc.applyRGB(buf), args.repeat * 3)
    peers = {"OpenColorIO CPU": ocio}
    ffmpeg = ensure_tool("ffmpeg", args.install)
    if ffmpeg:
        raw = work / "frames.gbrpf32"
        planar = np.ascontiguousarray(frame.transpose(2, 0, 1)[[1, 2, 0]])  # G, B, R planes
        raw.write_bytes(planar.tobytes() * frames)
        base = min(_ffmpeg_ms_per_frame(ffmpeg, raw, w, h, frames, None) for _ in range(2))
        filt = min(
            _ffmpeg_ms_per_frame(ffmpeg, raw, w, h, frames, f"lut3d=file={cube}:interp=tetrahedral")
            for _ in range(args.repeat)
        )
        peers["ffmpeg lut3d"] = filt - base
    threads = numba.get_num_threads()
    numba.set_num_threads(1)  # OpenColorIO's applyRGB runs on one thread: like for like
    ours_one = _best_ms(lambda: renderer.run(program, frame), args.repeat * 3)
    numba.set_num_threads(threads)
    copy = _best_ms(lambda: np.copyto(np.empty_like(frame), frame), args.repeat * 3)
    print(f"\nlut: 33^3 tetrahedral on one {w}x{h} float32 frame, best of runs")
    print(
        f"kernel {ours:.1f} ms on {threads} threads, {ours_one:.1f} ms on 1 thread (OpenColorIO "
        f"{ocio:.1f} ms on 1: {ocio / ours_one:.2f}x); a plain copy of the frame (the memory "
        f"floor) {copy:.1f} ms"
    )
    print(f"{'job':10} {'lsquared_ms':>11}  {'peer':16} {'peer_ms':>8} {'ratio':>7}")
    for name, ms in peers.items():
        print(f"{'lut':10} {ours:11.1f}  {name:16} {ms:8.1f} {ms / ours:6.2f}x")
    vlog_proc = engine.compile(recipe, engine.Metadata(), engine.input_encoding("vlog"))
    vlog_proc.apply_array(frame[:8])
    fused = _best_ms(lambda: vlog_proc.apply_array(frame), args.repeat * 3)
    print(
        f"fused V-Log -> teal-orange -> Rec.709 (exact, no LUT): {fused:.1f} ms; "
        f"one plain copy of the frame: {copy:.1f} ms; ratio {fused / copy:.1f}x a copy"
    )
    if ffmpeg:
        _whole_command_lut(args, ffmpeg, work, frame, cube)
    shutil.rmtree(work, ignore_errors=True)


def _whole_command_lut(args, ffmpeg: str, work: Path, frame, cube: Path) -> None:
    """``lsq lut apply`` against ``ffmpeg -vf lut3d`` as whole processes (start-up, TIFF
    reading and writing included) on a 16-bit TIFF of the frame."""
    import numpy as np
    import tifffile

    source = work / "frame16.tif"
    tifffile.imwrite(source, (frame * 65535 + 0.5).astype(np.uint16), photometric="rgb")
    ours = measure(
        [sys.executable, "-m", "lsquared", "lut", "apply", str(source), "--lut", str(cube),
         "-o", str(work / "ours.tif")],
        args.repeat,
    )  # fmt: skip
    theirs = measure(
        [ffmpeg, "-v", "error", "-y", "-i", str(source), "-vf",
         f"lut3d=file={cube}:interp=tetrahedral", "-pix_fmt", "rgb48le", str(work / "ff.tif")],
        args.repeat,
    )  # fmt: skip
    h, w = frame.shape[:2]
    report(f"lut apply {w}x{h} 16-bit TIFF", ours, {"ffmpeg lut3d": theirs})


def job_lens(args) -> None:
    """Distortion + TCA maps for a 6000x4000 frame with lsquared and with lensfun's Modifier
    (lensfunpy), then resampling a 24 MP RGB float image with each filter."""
    import lensfunpy
    import numpy as np

    from lsquared.kernels.geometry import FILTER_CODES, remap
    from lsquared.optics import lensdb
    from lsquared.optics import profile as optics

    w, h = 6000, 4000
    lens = lensdb.lookup("Lumix S 20-60/F3.5-5.6")
    p = optics.from_lensfun(lens, 20.0, 4.0, 1000.0)

    def ours_map():
        optics.geometry_grid.cache_clear()
        return optics.geometry_grid(p, w, h, 1.0)

    def lensfun_map():
        mod = lensfunpy.Modifier(lens, lens.crop_factor, w, h)
        mod.initialize(
            20.0, 4.0, 1000.0, flags=lensfunpy.ModifyFlags.DISTORTION | lensfunpy.ModifyFlags.TCA
        )
        return mod.apply_subpixel_geometry_distortion()

    ours = _best_ms(ours_map, args.repeat)
    theirs = _best_ms(lensfun_map, args.repeat)
    print(f"\nlens: distortion + TCA map, {w}x{h}, {lens.maker} {lens.model} at 20 mm")
    print(f"{'job':10} {'lsquared_ms':>11}  {'peer':16} {'peer_ms':>8} {'ratio':>7}")
    print(
        f"{'lens map':10} {ours:11.1f}  {'lensfun Modifier':16} {theirs:8.1f} {theirs / ours:6.1f}x"
    )
    print(
        "(lsquared evaluates the model on a grid every 8 px; the remap interpolates it, < 0.005 px)"
    )
    gx, gy = optics.geometry_grid(p, w, h, 1.0)
    image = np.random.default_rng(0).random((h, w, 3), dtype=np.float32)
    out = np.empty_like(image)
    for name, code in FILTER_CODES.items():
        remap(image[:64], out[:64], gx, gy, optics.GRID_STEP, code)
        ms = _best_ms(
            lambda code=code: remap(image, out, gx, gy, optics.GRID_STEP, code), args.repeat
        )
        print(f"resample 24 MP RGB float32, {name:8s}: {ms:7.1f} ms")


def job_grade(args) -> None:
    """A generated 3840x2160 10-bit H.265 clip graded end to end (decode, V-Log ->
    teal-orange -> Rec.709, encode x265 with the same preset) by lsquared (exact, and
    ``--fast``: through the look baked to 65^3) and by ffmpeg's CLI (the look baked to a
    65^3 .cube, lut3d); the ceiling any grade could reach with this decoder and encoder
    (ffmpeg with no filter); then lsquared's grade-only fps."""
    import numpy as np

    from lsquared import engine
    from lsquared.looks.files import write_lut
    from lsquared.pipeline.recipe import Recipe

    ffmpeg = ensure_tool("ffmpeg", args.install)
    if not ffmpeg:
        print("grade: ffmpeg missing")
        return
    work = Path(tempfile.mkdtemp(prefix="lsq-bench-"))
    seconds, preset = args.seconds, args.preset
    clip = work / "vlog-4k.mov"
    subprocess.run(
        [ffmpeg, "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size=3840x2160:rate=24:duration={seconds}",
         "-pix_fmt", "yuv420p10le", "-c:v", "libx265", "-preset", "ultrafast",
         "-x265-params", "log-level=error", "-colorspace", "bt709", str(clip)],
        check=True,
    )  # fmt: skip
    frames = int(seconds * 24)
    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), "teal-orange")
    cube = work / "look65.cube"
    write_lut(engine.bake_lut(recipe, "vlog", 65), cube)
    lsq = [PY, "-m", "lsquared", "grade", str(clip), "--input", "vlog", "--look", "teal-orange",
           "--codec", "h265", "--preset", preset]  # fmt: skip
    x265 = ["-c:v", "libx265", "-preset", preset, "-x265-params", "log-level=error",
            "-pix_fmt", "yuv420p10le"]  # fmt: skip
    ours_s, ours_mb = measure([*lsq, "-o", str(work / "lsq.mp4")], args.repeat)
    fast_s, fast_mb = measure([*lsq, "-o", str(work / "lsq-fast.mp4"), "--fast"], args.repeat)
    ffmpeg_in = [ffmpeg, "-v", "error", "-y", "-i", str(clip)]
    theirs_s, theirs_mb = measure(
        [*ffmpeg_in, "-vf", f"lut3d=file={cube}:interp=tetrahedral", *x265,
         str(work / "ffmpeg.mp4")],
        args.repeat,
    )  # fmt: skip
    bare_s, _ = measure([*ffmpeg_in, *x265, str(work / "bare.mp4")], args.repeat)
    print(f"\ngrade: {frames} frames 3840x2160 10-bit, x265 preset {preset}")
    print(f"{'job':10} {'lsquared_fps':>12}  {'peer':16} {'peer_fps':>8} {'ratio':>7}")
    for job, seconds_, mb, what in (
        ("grade", ours_s, ours_mb, f"vs {theirs_mb:.0f} MB"),
        ("--fast", fast_s, fast_mb, "the look baked to 65^3"),
    ):
        print(f"{job:10} {frames / seconds_:12.2f}  {'ffmpeg lut3d':16} {frames / theirs_s:8.2f} "
              f"{theirs_s / seconds_:6.2f}x   (peak {mb:.0f} MB; {what})")  # fmt: skip
    print(
        f"ceiling: ffmpeg decoding and encoding the clip with no filter, {frames / bare_s:.2f} fps"
    )
    processor = engine.compile(recipe, engine.Metadata(), engine.input_encoding("vlog"))
    frame = np.random.default_rng(0).random((2160, 3840, 3), dtype=np.float32)
    processor.apply_array(frame[:8])
    ms = _best_ms(lambda: processor.apply_array(frame), 3)
    print(
        f"grade only (decode and encode excluded): {1000 / ms:.1f} fps ({ms:.0f} ms per 4K frame)"
    )
    shutil.rmtree(work, ignore_errors=True)


def job_batch(args) -> None:
    """``lsq batch`` over the same folder of DNGs with 1 and 2 local workers: files per
    minute (process start-up included) and the scaling efficiency (rate_2 / rate_1 / 2)."""
    work = Path(tempfile.mkdtemp(prefix="lsq-bench-"))
    card = work / "card"
    card.mkdir()
    first = card / "P1000000.DNG"
    print(f"simulating a {args.width} x {args.height} DNG, {args.files} copies ...", flush=True)
    subprocess.run(
        [PY, "-c", "from lsquared.simulate import simulate; "
         f"simulate({str(first)!r}, width={args.width}, height={args.height})"],
        check=True,
    )  # fmt: skip
    for i in range(1, args.files):
        shutil.copy(first, card / f"P10000{i:02d}.DNG")
    rates = {}
    for workers in (1, 2):
        best = float("inf")
        for run in range(args.repeat):
            out = work / f"out{workers}-{run}"  # a fresh folder: nothing is skipped
            seconds, _ = measure(
                [PY, "-m", "lsquared", "batch", str(card), "-o", str(out), "--workers",
                 str(workers), "--photos", "tif16"],
                1,
            )  # fmt: skip
            best = min(best, seconds)
        rates[workers] = args.files / best * 60
    print(f"\nbatch: {args.files} DNGs {args.width}x{args.height} -> 16-bit TIFF")
    for workers, rate in rates.items():
        print(f"batch      workers {workers}: {rate:6.1f} files/min")
    print(f"scaling efficiency (2 workers): {rates[2] / rates[1] / 2:.2f}")
    shutil.rmtree(work, ignore_errors=True)


def _chart_shot(path: Path, w: int, h: int, quad, seed: int) -> None:
    """A 16-bit TIFF of a chessboard (11 x 7 inner corners) filling ``quad`` (corrected
    frame), recorded through the Lumix S 24/F1.8 (lsquared's own map, inverted by
    fixed-point iteration on a 16 px grid: a workload, not a truth), blurred, noisy."""
    import cv2
    import numpy as np
    import pyexiv2
    import tifffile

    from lsquared.optics import lensdb
    from lsquared.optics import profile as optics

    sq = 100
    board = np.full((10 * sq, 14 * sq), 0.9, np.float32)  # white margin of one square
    for i in range(8):
        for j in range(12):
            if (i + j) % 2 == 0:
                board[(i + 1) * sq : (i + 2) * sq, (j + 1) * sq : (j + 2) * sq] = 0.1
    src = np.float32([[0, 0], [14 * sq, 0], [14 * sq, 10 * sq], [0, 10 * sq]])
    ideal = cv2.warpPerspective(board, cv2.getPerspectiveTransform(src, np.float32(quad)),
                                (w, h), flags=cv2.INTER_AREA, borderValue=0.5)  # fmt: skip
    p = optics.from_lensfun(lensdb.lookup("Lumix S 24/F1.8"), 24.0, 4.0, 1000.0)
    gx, gy = np.meshgrid(np.arange(0, w + 16, 16.0), np.arange(0, h + 16, 16.0))
    ux, uy = gx.copy(), gy.copy()
    for _ in range(8):
        sx, sy = optics.source_coordinates(p, w, h, 1.0, ux, uy)
        ux, uy = ux + gx - sx[1], uy + gy - sy[1]
    mx = cv2.resize(ux.astype(np.float32), (w + 16, h + 16))[:h, :w]
    my = cv2.resize(uy.astype(np.float32), (w + 16, h + 16))[:h, :w]
    grey = cv2.GaussianBlur(cv2.remap(ideal, mx, my, cv2.INTER_LINEAR), (0, 0), 1.5)
    grey += np.random.default_rng(seed).normal(0, 0.004, grey.shape).astype(np.float32)
    rgb = (np.clip(grey, 0, 1)[..., None].repeat(3, axis=2) * 65535).astype(np.uint16)
    tifffile.imwrite(path, rgb, photometric="rgb")
    with pyexiv2.Image(str(path)) as img:
        img.modify_exif({"Exif.Image.Make": "Panasonic", "Exif.Image.Model": "DC-S5",
                         "Exif.Photo.LensModel": "LUMIX S 24/F1.8",
                         "Exif.Photo.FocalLength": "24/1", "Exif.Photo.FNumber": "4/1",
                         "Exif.Photo.FocalLengthIn35mmFilm": "24"})  # fmt: skip


def job_calibrate(args) -> None:
    """``lsq lens calibrate`` on chessboard shots (16-bit TIFF, default 12 of 6000 x 4000):
    wall time of the whole command (start-up, reading, detection, fit, XML)."""
    w, h = (int(v) for v in args.size.split("x"))
    work = Path(tempfile.mkdtemp(prefix="lsq-bench-"))
    boxes = [(x, y) for y in (0.02, 0.35, 0.62) for x in (0.02, 0.27, 0.52, 0.7)]
    print(f"rendering {args.shots} chessboard shots of {w} x {h} ...", flush=True)
    files = []
    for i in range(args.shots):
        x0, y0 = boxes[i % len(boxes)]
        bw, bh = 0.28 + 0.04 * (i % 3), 0.36
        t = 0.03 * ((i % 4) - 1.5)  # perspective: one side nearer than the other
        quad = [[x0 * w, (y0 + t) * h], [(x0 + bw) * w, (y0 - t) * h],
                [(x0 + bw) * w, (y0 + bh + t) * h], [x0 * w, (y0 + bh - t) * h]]  # fmt: skip
        files.append(work / f"chart{i:02d}.tif")
        _chart_shot(files[-1], w, h, quad, i)
    cmd = [PY, "-m", "lsquared", "lens", "calibrate", *map(str, files), "--board", "11x7",
           "-o", str(work / "profile.xml")]  # fmt: skip
    seconds, peak = measure(cmd, args.repeat)
    print(f"\ncalibrate: {args.shots} chessboard shots {w}x{h}, 16-bit TIFF")
    print(f"calibrate  lsquared {seconds:.2f} s, peak {peak:.0f} MB")
    shutil.rmtree(work, ignore_errors=True)


def _write_clip(path: Path, w: int, h: int, frames: int) -> None:
    """A short V-Log-like 10-bit H.265 clip of smooth gradients (x265 ultrafast)."""
    import av
    import numpy as np

    from lsquared.io import video

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx265", rate=24)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p10le"
        stream.options = {"preset": "ultrafast", "x265-params": "log-level=error"}
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        for i in range(frames):
            rgb = np.stack([xx / w, yy / h, (xx + yy + 40 * i) / (w + h)], -1) * 0.8 + 0.1
            frame = video.rgb_frame(av, rgb, "yuv420p10le", 10, video.EncodeTags(), i)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def job_view(args) -> None:
    """``lsq view``'s API in process (Starlette's test client): after a control change (a
    new exposure, so a new recipe compiled), the preview PNG and three scopes (waveform,
    vectorscope, histogram) of a 24 MP RAW already decoded and of a 4K frame already read.
    The page asks for these four after each change; the server renders them one by one."""
    import numpy as np
    from starlette.testclient import TestClient

    from lsquared.simulate import simulate
    from lsquared.viewer.app import create_app
    from lsquared.viewer.files import collect
    from lsquared.viewer.session import Session

    work = Path(tempfile.mkdtemp(prefix="lsq-bench-view-"))
    scale = args.view_scale
    raw_w, raw_h = round(6000 * scale), round(4000 * scale)
    clip_w, clip_h = round(3840 * scale) // 2 * 2, round(2160 * scale) // 2 * 2
    simulate(work / "raw.dng", width=raw_w, height=raw_h)
    _write_clip(work / "clip.mkv", clip_w, clip_h, 2)
    client = TestClient(create_app(Session(collect([work]), work), token="t"))
    files = {f["name"]: f["id"] for f in client.get("/t/api/files").json()["files"]}
    view = "w=1600&h=1000"
    print(f"\nview: preview ({view}) + waveform + vectorscope + histogram after a control change")
    for name, size, goal in (("raw.dng", f"{raw_w}x{raw_h} RAW", 150),
                             ("clip.mkv", f"{clip_w}x{clip_h} frame", 100)):  # fmt: skip
        fid = files[name]
        base = client.get("/t/api/recipe").json()["id"]
        if name == "clip.mkv":
            base = client.post("/t/api/recipe", json={"base": base, "changes": {
                "input": {"encoding": "vlog"}, "output": {"space": "rec709"}}}).json()["id"]  # fmt: skip
        client.get(f"/t/api/render/{fid}?recipe={base}&{view}")  # decode, read, first compile
        evs = iter(np.linspace(-2, 2, 4 * args.repeat + 8))

        def change(fid=fid, base=base, evs=evs):
            changes = {"exposure": {"ev": float(next(evs))}}
            rid = client.post("/t/api/recipe", json={"base": base, "changes": changes}).json()["id"]
            query = f"{fid}?recipe={rid}&{view}"
            assert client.get(f"/t/api/render/{query}").status_code == 200
            for kind in ("waveform", "vectorscope", "histogram"):
                assert client.get(f"/t/api/scope/{kind}/{query}").status_code == 200

        change()  # the scopes' first call
        ms = _best_ms(change, max(args.repeat, 5))
        verdict = "meets" if ms <= goal else "misses"
        print(f"{size:22s} {ms:7.1f} ms  ({verdict} the {goal} ms goal)")
    shutil.rmtree(work, ignore_errors=True)


JOBS = {
    "develop": job_develop,
    "lut": job_lut,
    "lens": job_lens,
    "grade": job_grade,
    "batch": job_batch,
    "calibrate": job_calibrate,
    "view": job_view,
    "demosaic": job_demosaic,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("job", choices=sorted(JOBS))
    parser.add_argument("--input", help="input file instead of a simulated one")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5.0, help="grade: clip length")
    parser.add_argument("--preset", default="ultrafast", help="grade: x265 preset for both")
    parser.add_argument("--files", type=int, default=24, help="batch: number of DNGs")
    parser.add_argument("--frame", default="3840x2160", help="lut: frame size WxH")
    parser.add_argument("--width", type=int, default=None, help="batch, develop, demosaic: DNG width")
    parser.add_argument("--height", type=int, default=None, help="batch, develop, demosaic: DNG height")
    parser.add_argument("--shots", type=int, default=12, help="calibrate: chessboard shots")
    parser.add_argument("--size", default="6000x4000", help="calibrate: shot size WxH")
    parser.add_argument(
        "--view-scale", type=float, default=1.0, help="view: scale of the 24 MP RAW, 4K frame"
    )
    parser.add_argument(
        "--opcodes", action="store_true", help="develop: the cost of DNG opcode lists 2 and 3"
    )
    parser.add_argument(
        "--install", action=argparse.BooleanOptionalAction, default=os.geteuid() == 0
    )
    args = parser.parse_args()
    default_size = (6000, 4000) if args.job == "develop" else (4000, 2666)
    args.width = args.width or default_size[0]
    args.height = args.height or default_size[1]
    JOBS[args.job](args)


if __name__ == "__main__":
    main()
