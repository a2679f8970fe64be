#!/usr/bin/env python3
"""Benchmarks: lsquared and its peers on the same input, in one run, with ratios.

    python benchmarks/run.py develop [--input RAW] [--repeat 2]
    python benchmarks/run.py calibrate [--shots 12] [--size 6000x4000]
    python benchmarks/run.py develop --opcodes [--width 6000 --height 4000]
    python benchmarks/run.py demosaic --width 6000 --height 4000   # in-process, vs flashraw, rawpy
    python benchmarks/run.py view [--view-size 1568x450] [--changes 20]  # lsq view's latency
    python benchmarks/run.py cold [--repeat 1]  # first runs on an empty numba cache

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


def run_once(cmd: list[str], cwd: str | None = None, env: dict | None = None):
    """One run of ``cmd``: (wall seconds, CPU seconds (user + system), peak RSS in MB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd, env=env
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode(errors="replace")[-400:] if proc.stderr else ""
        raise RuntimeError(f"{cmd[0]} failed: {err}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def measure(cmd: list[str], repeat: int, cwd: str | None = None) -> tuple[float, float]:
    """(best wall seconds, peak RSS in MB) over ``repeat`` runs of ``cmd``."""
    runs = [run_once(cmd, cwd) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[2] for r in runs)


def interleaved(commands: dict[str, tuple], repeat: int) -> dict[str, list[tuple]]:
    """Each named ``(cmd, env or None, before)`` run ``repeat`` times, taking turns, so that
    a shared machine's load falls on all of them alike; ``before()``, when given, runs
    untimed before each of its runs. Returns each name's :func:`run_once` results."""
    results: dict[str, list[tuple]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, (cmd, env, before) in commands.items():
            if before:
                before()
            results[name].append(run_once(cmd, env=env))
    return results


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def report_runs(title: str, results: dict[str, list[tuple]], peer: str) -> None:
    """Median and best wall time and median CPU time per command, and each command's ratio
    to ``peer`` (peer median wall / its median wall; > 1: faster). No peak memory: a child
    forked from this process (which holds the test frames) reports this process's."""
    import statistics

    print(f"\n{title} (load average {load_average()}, {len(results[peer])} interleaved runs)")
    print(f"{'command':34} {'median_s':>8} {'best_s':>7} {'cpu_s':>6} {'ratio':>7}")
    theirs = statistics.median(r[0] for r in results[peer])
    for name, runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        ratio = "" if name == peer else f"{theirs / wall:6.2f}x"
        print(f"{name:34} {wall:8.2f} {min(r[0] for r in runs):7.2f} {cpu:6.2f} {ratio:>7}")
    print(f"(ratio = {peer} median seconds / the command's; > 1 means lsquared is faster)")


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


def _gain_map_list(width: int, height: int, per_site: bool = True) -> bytes:
    """OpcodeList2 with four per-CFA-site GainMaps (pitch 2, 17 x 17 points each), or one
    GainMap over every sample (pitch 1), packed from the DNG specification's layout (7.3,
    GainMap)."""
    import struct

    sites = ((0, 0), (0, 1), (1, 0), (1, 1)) if per_site else ((0, 0),)
    pitch = 2 if per_site else 1
    records = b""
    for site, (row, col) in enumerate(sites):
        gains = [1.0 + (0.3 + 0.02 * site) * ((i / 16 - 0.5) ** 2 + (j / 16 - 0.5) ** 2)
                 for i in range(17) for j in range(17)]  # fmt: skip
        params = struct.pack(">8I", row, col, height, width, 0, 1, pitch, pitch)
        params += struct.pack(">2I4dI", 17, 17, 1 / 16, 1 / 16, 0.0, 0.0, 1)
        params += struct.pack(f">{len(gains)}f", *gains)
        records += struct.pack(">I4BII", 9, 1, 3, 0, 0, 0, len(params)) + params
    return struct.pack(">I", len(sites)) + records


def _opcode_stages(plain: Path, with_ops: Path, repeat: int) -> None:
    """Where the time goes, in-process (best of ``repeat``, wall and CPU): decoding to the
    Bayer mosaic (opcode lists 1 and 2 applied; the Processor compiled once beforehand, as
    batch keeps it) and the banded develop (demosaic, the lens maps of list 3, colour)."""
    from lsquared import engine
    from lsquared.pipeline.recipe import Recipe

    rows = []
    for name, path, lens in (("plain", plain, "none"), ("opcodes", with_ops, "embedded")):
        recipe = Recipe().replace("lens", source=lens).replace("output", format="tif16")
        cache = engine.ProcessorCache()
        image, processor = engine._decode_and_compile(path, recipe, "cpu", cache)
        stages = {
            "decode": lambda p=path, r=recipe, c=cache: engine._decode_and_compile(p, r, "cpu", c),
            "develop": lambda i=image, q=processor: engine._developed_pixels(i, q, 16),
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


#: the opcode files: name, OpcodeList2's GainMaps per CFA site or one for all, and the
#: WarpRectilinear's coefficients per plane (equal planes: no lateral chromatic aberration)
OPCODE_FILES = (
    ("1 GainMap + warp", False, ((1.0, 0, 0.01, 0),) * 3),
    ("4 GainMaps + 3-plane warp", True, ((1.0, 0, 0.012, 0), (1.0, 0, 0.01, 0),
                                         (1.0, 0, 0.008, 0))),
)  # fmt: skip


def job_develop_opcodes(args) -> None:
    """The cost of opcode processing: ``lsq develop`` of a simulated DNG, then of the same
    DNG carrying GainMaps (OpcodeList2) and a WarpRectilinear (OpcodeList3) with ``--lens
    embedded``: one GainMap and a warp without lateral CA (its three planes equal), and four
    per-CFA-site GainMaps and a 3-plane warp; the issue's target is at most 10 % more. The
    commands run alternately (best of ``--repeat`` each, so a change in the machine's load
    hits all), then the stages of the plain and the 3-plane file are timed in-process."""
    import tifffile

    work = Path(tempfile.mkdtemp(prefix="lsq-bench-"))
    w, h = args.width, args.height
    paths = {"plain": work / "plain.dng"}
    paths.update({name: work / f"opcodes{i}.dng" for i, (name, _, _) in enumerate(OPCODE_FILES)})
    print(f"simulating {len(paths)} {w} x {h} DNGs ...", flush=True)
    code = (
        "from lsquared import simulate; import sys, ast; "
        f"simulate.simulate(sys.argv[1], width={w}, height={h}); "
        f"[simulate.simulate(p, width={w}, height={h}, embed_opcodes=True, "
        "warp=simulate.Warp(ast.literal_eval(k)), "
        "vignetting=simulate.Vignetting((0.3, 0, 0, 0, 0))) "
        "for p, k in zip(sys.argv[2::2], sys.argv[3::2])]"
    )
    pairs = [str(x) for (name, _, k) in OPCODE_FILES for x in (paths[name], k)]
    subprocess.run([PY, "-c", code, str(paths["plain"]), *pairs], check=True)
    for name, per_site, _ in OPCODE_FILES:  # the vignette list -> GainMaps
        with tifffile.TiffFile(paths[name], mode="r+b") as tif:
            tif.pages[0].tags["OpcodeList2"].overwrite(_gain_map_list(w, h, per_site))
    cmds = {
        name: [PY, "-m", "lsquared", "develop", str(path), "-o", str(work / f"{i}.tif"),
               "--format", "tif16", "--lens", "none" if name == "plain" else "embedded"]
        for i, (name, path) in enumerate(paths.items())
    }  # fmt: skip
    for cmd in cmds.values():
        subprocess.run(cmd, check=True, capture_output=True)  # warm the numba disk cache
    runs = {name: [] for name in cmds}
    for _ in range(args.repeat):
        for name, cmd in cmds.items():
            runs[name].append(run_once(cmd))
    best = {name: tuple(min(r[i] for r in rs) for i in range(2)) for name, rs in runs.items()}
    peak = {name: max(r[2] for r in rs) for name, rs in runs.items()}
    print(f"\ndevelop --opcodes ({w} x {h}): plain {best['plain'][0]:.2f} s "
          f"(CPU {best['plain'][1]:.2f} s, peak {peak['plain']:.0f} MB); {_load()}")  # fmt: skip
    for name, _, _ in OPCODE_FILES:
        wall = best[name][0] / best["plain"][0] - 1
        cpu = best[name][1] / best["plain"][1] - 1
        print(f"  with {name:27} {best[name][0]:.2f} s: {100 * wall:+.1f} % "
              f"(CPU {best[name][1]:.2f} s: {100 * cpu:+.1f} %; peak {peak[name]:.0f} MB)",
              flush=True)  # fmt: skip
    _opcode_stages(paths["plain"], paths[OPCODE_FILES[-1][0]], args.repeat)
    shutil.rmtree(work, ignore_errors=True)


def _simulated_dng(args, work: Path) -> Path:
    """``--input``, or a simulated DNG of ``--width`` x ``--height`` (in its own process)."""
    if args.input:
        return Path(args.input)
    raw = work / "sim.dng"
    print(f"simulating a {args.width} x {args.height} DNG ...", flush=True)
    code = f"from lsquared.simulate import simulate; simulate({str(raw)!r}, width={args.width}, height={args.height})"
    subprocess.run([PY, "-c", code], check=True)
    return raw


def _load() -> str:
    """The machine's load averages (1, 5, 15 min), as ``uptime`` reports them."""
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def job_develop(args) -> None:
    """Whole commands, each its own process, on the same DNG to a 16-bit TIFF: ``lsq
    develop`` (default demosaic, and LibRaw's AHD), darktable-cli, rawtherapee-cli, and rawpy
    (LibRaw's own pipeline) as a script."""
    if args.opcodes:
        job_develop_opcodes(args)
        return
    work = Path(tempfile.mkdtemp(prefix="lsq-bench-"))
    raw = _simulated_dng(args, work)
    print(f"input: {raw} ({raw.stat().st_size / 1e6:.0f} MB); {_load()}", flush=True)
    lsq = [PY, "-m", "lsquared", "develop", str(raw), "-o", str(work / "lsq.tif"),
           "--format", "tif16"]  # fmt: skip
    subprocess.run(lsq, check=True, capture_output=True)  # warm the numba disk cache
    ours = measure(lsq, args.repeat)
    peers: dict[str, tuple[float, float] | None] = {}
    ahd = [*lsq, "--demosaic", "libraw-ahd"]
    subprocess.run(ahd, check=True, capture_output=True)
    peers["lsq libraw-ahd"] = measure(ahd, args.repeat)
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
    print(f"after: {_load()}")
    shutil.rmtree(work, ignore_errors=True)


#: a first run's goal (issue 15): seconds for a cold ``lsq demo``, and until its first line
COLD_DEMO_GOAL_S, FIRST_LINE_GOAL_S = 15.0, 1.0


def _cold_run(cmd: list[str], cache: Path) -> tuple[float, float, float]:
    """One run of ``cmd`` with numba's disk cache in the empty folder ``cache``: (wall
    seconds, CPU seconds of it and its helper processes, seconds until its first line on
    stdout or stderr)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    first_s = time.perf_counter() - start if first else float("nan")
    rest = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd[2:4])} failed: {(first + rest).decode()[-400:]}")
    return wall, usage.ru_utime + usage.ru_stime, first_s


def job_cold(args) -> None:
    """First runs, as after a fresh install: ``lsq demo`` and ``lsq develop`` (default
    demosaic, 16-bit TIFF of a simulated DNG) as whole processes, each run with its own
    empty ``NUMBA_CACHE_DIR``, so that numba compiles every kernel the command uses. Wall and
    CPU seconds (CPU: the command and any helper process it waited for) and seconds until
    its first line, beside issue 15's goal for the demo."""
    work = Path(tempfile.mkdtemp(prefix="lsq-bench-"))
    raw = _simulated_dng(args, work)
    commands = {
        "lsq demo": [PY, "-m", "lsquared", "demo", "-o", str(work / "demo")],
        "lsq develop": [PY, "-m", "lsquared", "develop", str(raw), "-o", str(work / "d.tif"),
                        "--format", "tif16"],
    }  # fmt: skip
    print(f"cold numba cache; {_load()}", flush=True)
    print(f"{'command':12} {'wall_s':>7} {'cpu_s':>6} {'first_line_s':>12}")
    for run in range(args.repeat):
        for name, cmd in commands.items():
            cache = work / f"numba-cache-{run}-{name.split()[1]}"
            wall, cpu, first = _cold_run(cmd, cache)
            print(f"{name:12} {wall:7.1f} {cpu:6.1f} {first:12.2f}", flush=True)
            shutil.rmtree(cache, ignore_errors=True)
    print(
        f"goal (issue 15): a cold lsq demo <= {COLD_DEMO_GOAL_S:.0f} s, its first line within "
        f"{FIRST_LINE_GOAL_S:.0f} s; after: {_load()}"
    )
    shutil.rmtree(work, ignore_errors=True)


def _in_process_lsquared(source: Path, algorithm: str):
    """lsquared's decode + demosaic + colour to linear sRGB (float32), the Processor compiled
    once beforehand (a ProcessorCache, as batch and the viewer keep it)."""
    from lsquared import engine
    from lsquared.pipeline.recipe import Recipe

    recipe = (
        Recipe()
        .replace("demosaic", algorithm=algorithm)
        .replace("output", space="linear-srgb", format="tif32")
        .replace("lens", source="none")
    )
    cache = engine.ProcessorCache()
    engine._decode_and_compile(source, recipe, "cpu", cache)  # compile and warm the kernels

    def run():
        image, processor = engine._decode_and_compile(source, recipe, "cpu", cache)
        return engine._developed_pixels(image, processor, 0)

    return run


def job_demosaic(args) -> None:
    """In-process, on the same DNG: decode + demosaic + colour to linear RGB by lsquared
    (its Menon fused with the colour path, and LibRaw's AHD then the colour path), flashraw
    (``linear-rgb``: bilinear demosaic, linear sRGB; the ``bench`` extra) and rawpy's
    ``postprocess`` (LibRaw's AHD, linear sRGB, 16-bit); best of ``--repeat``, with ratios."""
    import rawpy

    work = Path(tempfile.mkdtemp(prefix="lsq-bench-"))
    source = _simulated_dng(args, work)
    print(f"input: {source}; {_load()}", flush=True)

    def rawpy_linear():
        with rawpy.imread(str(source)) as raw:
            return raw.postprocess(gamma=(1, 1), no_auto_bright=True, output_bps=16,
                                   use_camera_wb=True, output_color=rawpy.ColorSpace.sRGB)  # fmt: skip

    runs = {
        "lsquared menon (fused)": _in_process_lsquared(source, "MENON"),
        "lsquared libraw-ahd": _in_process_lsquared(source, "AHD"),
        "rawpy postprocess": rawpy_linear,
    }
    try:
        import flashraw

        runs["flashraw linear-rgb"] = lambda: flashraw.imread(str(source), "linear-rgb")
    except ImportError:
        runs["flashraw linear-rgb"] = None
    times = {}
    for name, fn in runs.items():
        if fn is None:
            print(f"{name:26} not installed (pip install 'lsquared[bench]')")
            continue
        fn()  # warm: first call, caches, thread pools
        times[name] = _best_ms(fn, args.repeat)
    ours = times["lsquared menon (fused)"]
    print(f"{'decode+demosaic+colour':26} {'ms':>8} {'vs lsquared':>12}")
    for name, ms in times.items():
        print(f"{name:26} {ms:8.0f} {ms / ours:11.2f}x")
    print("(ratio = its time / lsquared menon's; > 1 means lsquared is faster)")
    print(f"after: {_load()}")
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
    """A 33^3 LUT on a 3840x2160 float32 frame: lsquared's kernel (clips), ffmpeg lut3d,
    OpenColorIO on one thread and in bands on as many threads as the kernel (``looks.ocio``,
    what ``lsq lut apply`` runs); then the fused V-Log -> look -> Rec.709 pass against one
    plain copy of the frame, and the whole commands."""
    import numba
    import numpy as np
    import PyOpenColorIO as OCIO

    from lsquared import engine
    from lsquared.kernels.cpu import CpuRenderer
    from lsquared.looks import ocio as ocio_pieces
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
    lut = read_lut(cube)  # OpenColorIO through float RGBA pieces (what lsq lut apply runs)
    pieces = {
        n: _best_ms(lambda n=n: ocio_pieces.apply_in_place(lut, buf, workers=n), args.repeat * 3)
        for n in (threads, 1)
    }
    copy = _best_ms(lambda: np.copyto(np.empty_like(frame), frame), args.repeat * 3)
    print(f"\nlut: 33^3 tetrahedral on one {w}x{h} float32 frame, best of runs")
    print(
        f"kernel {ours:.1f} ms on {threads} threads (OpenColorIO in RGBA pieces, lsq lut "
        f"apply's: {pieces[threads]:.1f} ms on {threads}, {pieces[threads] / ours:.2f}x); "
        f"{ours_one:.1f} ms on 1 thread (OpenColorIO applyRGB {ocio:.1f} ms on 1, "
        f"{ocio / ours_one:.2f}x; in RGBA pieces {pieces[1]:.1f} ms on 1, "
        f"{pieces[1] / ours_one:.2f}x); a plain copy of the frame (the memory floor) {copy:.1f} ms"
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
    reading and writing included) on a 16-bit TIFF of the frame, taking turns; numba's
    disk cache is warmed by one untimed run first (a first run compiles, once)."""
    import numpy as np
    import tifffile

    source = work / "frame16.tif"
    tifffile.imwrite(source, (frame * 65535 + 0.5).astype(np.uint16), photometric="rgb")
    lsq = [PY, "-m", "lsquared", "lut", "apply", str(source), "--lut", str(cube),
           "-o", str(work / "ours.tif")]  # fmt: skip
    run_once(lsq)
    ff = [ffmpeg, "-v", "error", "-y", "-i", str(source), "-vf",
          f"lut3d=file={cube}:interp=tetrahedral", "-pix_fmt", "rgb48le", str(work / "ff.tif")]  # fmt: skip
    results = interleaved(
        {"lsq lut apply": (lsq, None, None), "ffmpeg lut3d": (ff, None, None)},
        max(args.repeat, 3),
    )
    h, w = frame.shape[:2]
    report_runs(f"lut apply, whole command, {w}x{h} 16-bit TIFF, 33^3", results, "ffmpeg lut3d")


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
    """A generated 10-bit H.265 clip (3840x2160 unless ``--frame``) graded end to end,
    process start-up included (decode, V-Log -> teal-orange -> Rec.709, encode x265 with
    the same preset): ``lsq grade`` as a user runs it (by default through the look baked to
    a fitted 65^3 LUT) on a cold bake cache (emptied before each run) and on a warm one, and
    ``--exact``; ffmpeg's CLI with the look baked to a 65^3 .cube (lut3d); the ceiling any
    grade could reach with this decoder and encoder (ffmpeg with no filter); then
    lsquared's grade-only fps. Runs take turns; numba's disk cache is warmed first on a
    small clip (untimed)."""
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

    def testsrc(path: Path, size: str, duration: float) -> None:
        subprocess.run(
            [ffmpeg, "-v", "error", "-f", "lavfi", "-i",
             f"testsrc2=size={size}:rate=24:duration={duration}", "-pix_fmt", "yuv420p10le",
             "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
             "-colorspace", "bt709", str(path)],
            check=True,
        )  # fmt: skip

    clip, small = work / "vlog.mov", work / "small.mov"
    testsrc(clip, args.frame, seconds)
    testsrc(small, "192x108", 0.25)
    frames = int(seconds * 24)
    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), "teal-orange")
    cube = work / "look65.cube"
    write_lut(engine.bake_lut(recipe, "vlog", 65), cube)
    cold, warm = work / "cold-cache", work / "warm-cache"
    lsq = [PY, "-m", "lsquared", "grade", "--input", "vlog", "--look", "teal-orange",
           "--codec", "h265", "--preset", preset]  # fmt: skip
    with_cache = {name: os.environ | {"LSQ_BAKE_CACHE": str(path)}
                  for name, path in (("cold", cold), ("warm", warm))}  # fmt: skip
    for extra in ((), ("--exact",)):  # numba's kernels compiled once; the warm cache filled
        small_out = str(work / "small-out.mp4")
        run_once([*lsq, str(small), "-o", small_out, *extra], env=with_cache["warm"])
    x265 = ["-c:v", "libx265", "-preset", preset, "-x265-params", "log-level=error",
            "-pix_fmt", "yuv420p10le"]  # fmt: skip
    ffmpeg_in = [ffmpeg, "-v", "error", "-y", "-i", str(clip)]
    commands = {
        "lsq grade, cold bake cache": (
            [*lsq, str(clip), "-o", str(work / "cold.mp4")], with_cache["cold"],
            lambda: shutil.rmtree(cold, ignore_errors=True),
        ),
        "lsq grade, warm bake cache": (
            [*lsq, str(clip), "-o", str(work / "warm.mp4")], with_cache["warm"], None,
        ),
        "lsq grade --exact": (
            [*lsq, str(clip), "-o", str(work / "exact.mp4"), "--exact"], None, None
        ),
        "ffmpeg lut3d (65^3 .cube)": (
            [*ffmpeg_in, "-vf", f"lut3d=file={cube}:interp=tetrahedral", *x265,
             str(work / "ffmpeg.mp4")], None, None,
        ),
        "ffmpeg, no filter (ceiling)": ([*ffmpeg_in, *x265, str(work / "bare.mp4")], None, None),
    }  # fmt: skip
    results = interleaved(commands, args.repeat)
    report_runs(
        f"grade: {frames} frames {args.frame} 10-bit H.265, x265 preset {preset}, start-up included",
        results,
        "ffmpeg lut3d (65^3 .cube)",
    )
    processor = engine.compile(recipe, engine.Metadata(), engine.input_encoding("vlog"))
    frame = np.random.default_rng(0).random((2160, 3840, 3), dtype=np.float32)
    processor.apply_array(frame[:8])
    ms = _best_ms(lambda: processor.apply_array(frame), 3)
    print(
        f"exact grade only (decode and encode excluded): {1000 / ms:.1f} fps "
        f"({ms:.0f} ms per 4K frame)"
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


class _PageClient:
    """The page's requests after a control change, over HTTP to a running ``lsq view``, with
    the browser's concurrency (a pool of keep-alive connections): the recipe posted, then
    the preview beside the graticule, then the scopes (app.js ``changeRecipe``, ``update``,
    ``updateScopes``)."""

    SCOPES = ("waveform", "vectorscope", "histogram")  # the page's default scopes

    def __init__(self, url: str, connections: int = 6) -> None:
        import threading
        import urllib.parse
        from concurrent.futures import ThreadPoolExecutor

        parts = urllib.parse.urlsplit(url)
        self.host, self.port, self.prefix = parts.hostname, parts.port, parts.path
        self.pool = ThreadPoolExecutor(connections)
        self.local = threading.local()

    def request(self, method: str, path: str, body: dict | None = None) -> bytes:
        import http.client
        import json
        import socket

        if not hasattr(self.local, "connection"):
            self.local.connection = http.client.HTTPConnection(self.host, self.port, timeout=600)
            self.local.connection.connect()  # without Nagle's delay, as browsers do
            self.local.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        data = None if body is None else json.dumps(body).encode()
        headers = {} if body is None else {"content-type": "application/json"}
        self.local.connection.request(method, self.prefix + path, data, headers)
        answer = self.local.connection.getresponse()
        content = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"{method} {path}: {answer.status} {content[:200]!r}")
        return content

    def get(self, path: str) -> bytes:
        return self.pool.submit(self.request, "GET", path).result()

    def post(self, path: str, body: dict) -> dict:
        import json

        return json.loads(self.pool.submit(self.request, "POST", path, body).result())

    def change(self, fid: str, base: str, changes: dict, view: str) -> str:
        """Post a change and fetch what the page then shows; returns the new recipe id."""
        rid = self.post("api/recipe", {"base": base, "changes": changes})["id"]
        query = f"{fid}?recipe={rid}&{view}&frame=0"

        def scopes() -> None:
            self.request("GET", "api/graticule?matrix=rec709")
            common = f"{query}&matrix=rec709&level=95"
            urls = [f"api/scope/{kind}/{common}" + ("" if kind == "histogram" else "&columns=512")
                    for kind in self.SCOPES]  # fmt: skip
            for job in [self.pool.submit(self.request, "GET", u) for u in urls]:
                job.result()

        jobs = [self.pool.submit(self.request, "GET", f"api/render/{query}"),
                self.pool.submit(scopes)]  # fmt: skip
        for job in jobs:
            job.result()
        return rid


def job_view(args) -> None:
    """``lsq view`` as the page drives it: a server process (``lsq view --no-browser``) and
    the page's requests over HTTP after a control change (a new exposure posted as a recipe
    change, so a new recipe compiled), until the preview at the page's view size and the
    default scopes (waveform, vectorscope, histogram) have all answered; for a 24 MP DNG
    already decoded and a 4K V-Log clip frame already read. ``--view-size`` is the page's
    ``viewSize()``: 1568x450 is Chromium's at a 1920x1080 window, device pixel ratio 1.
    Median and 90th percentile over ``--changes`` changes, each alone (the page posts a
    lone change at once; only a burst within 40 ms, a slider dragged, waits for its end),
    and the server's CPU time per change (all its threads: on a shared machine the wall
    time is what is left of the cores; the CPU time is the work)."""
    import numpy as np

    from lsquared.simulate import simulate

    work = Path(tempfile.mkdtemp(prefix="lsq-bench-view-"))
    scale = args.view_scale
    raw_w, raw_h = round(6000 * scale), round(4000 * scale)
    clip_w, clip_h = round(3840 * scale) // 2 * 2, round(2160 * scale) // 2 * 2
    simulate(work / "raw.dng", width=raw_w, height=raw_h)
    _write_clip(work / "clip.mkv", clip_w, clip_h, 2)
    server = subprocess.Popen([PY, "-m", "lsquared", "view", "--no-browser", "--export-dir",
                               str(work), str(work / "raw.dng"), str(work / "clip.mkv")],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        page = _PageClient(server.stdout.readline().strip())
        files = {f["name"]: f["id"] for f in _json(page.get("api/files"))["files"]}
        view_w, view_h = args.view_size.split("x")
        view = f"w={view_w}&h={view_h}"
        print(f"\nview: load {os.getloadavg()[0]:.2f}; the page's view {args.view_size}: "
              f"recipe posted -> preview + {', '.join(page.SCOPES)} answered")  # fmt: skip
        print(f"{'source':22s} {'preview':>9s} {'median':>8s} {'p90':>8s}  goal")
        for name, size, goal in (("raw.dng", f"{raw_w}x{raw_h} RAW", 150),
                                 ("clip.mkv", f"{clip_w}x{clip_h} frame", 100)):  # fmt: skip
            fid = files[name]
            base = _json(page.get("api/recipe"))["id"]
            if name == "clip.mkv":
                base = page.post("api/recipe", {"base": base, "changes": {
                    "input": {"encoding": "vlog"}, "output": {"space": "rec709"}}})["id"]  # fmt: skip
            preview = page.get(f"api/render/{fid}?recipe={base}&{view}")  # decode, first compile
            shown = _bmp_size(preview)
            ms = []
            evs = np.linspace(-2, 2, args.changes)
            page.change(fid, base, {"exposure": {"ev": -2.5}}, view)  # the scopes' first call
            cpu = _cpu_seconds(server.pid)
            for ev in evs:
                start = time.perf_counter()
                page.change(fid, base, {"exposure": {"ev": round(float(ev), 4)}}, view)
                ms.append((time.perf_counter() - start) * 1000)
            cpu_ms = (_cpu_seconds(server.pid) - cpu) * 1000 / len(evs)
            median, p90 = np.percentile(ms, [50, 90])
            verdict = "meets" if p90 <= goal else "misses"
            print(f"{size:22s} {shown:>9s} {median:6.1f} ms {p90:5.1f} ms  {goal} ms ({verdict}); "
                  f"server CPU {cpu_ms:.0f} ms per change")  # fmt: skip
        print(f"load {os.getloadavg()[0]:.2f} at the end")
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


def _cpu_seconds(pid: int) -> float:
    """A process's CPU time so far, user + system, all threads (/proc/PID/stat, proc(5))."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _json(content: bytes):
    import json

    return json.loads(content)


def _bmp_size(content: bytes) -> str:
    """WxH of a BMP's bytes (its header's width and height)."""
    import struct

    width, height = struct.unpack("<ii", content[18:26])
    return f"{width}x{abs(height)}"


JOBS = {
    "develop": job_develop,
    "lut": job_lut,
    "lens": job_lens,
    "grade": job_grade,
    "batch": job_batch,
    "calibrate": job_calibrate,
    "view": job_view,
    "demosaic": job_demosaic,
    "cold": job_cold,
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
    parser.add_argument("--frame", default="3840x2160", help="lut, grade: frame size WxH")
    parser.add_argument(
        "--width", type=int, default=None, help="batch, develop, demosaic, cold: DNG width"
    )
    parser.add_argument(
        "--height", type=int, default=None, help="batch, develop, demosaic, cold: DNG height"
    )
    parser.add_argument("--shots", type=int, default=12, help="calibrate: chessboard shots")
    parser.add_argument("--size", default="6000x4000", help="calibrate: shot size WxH")
    parser.add_argument(
        "--view-scale", type=float, default=1.0, help="view: scale of the 24 MP RAW, 4K frame"
    )
    parser.add_argument("--view-size", default="1568x450", help="view: the page's view WxH")
    parser.add_argument("--changes", type=int, default=20, help="view: control changes timed")
    parser.add_argument(
        "--opcodes", action="store_true", help="develop: the cost of DNG opcode lists 2 and 3"
    )
    parser.add_argument(
        "--install", action=argparse.BooleanOptionalAction, default=os.geteuid() == 0
    )
    args = parser.parse_args()
    default_size = (6000, 4000) if args.job in ("develop", "demosaic", "cold") else (4000, 2666)
    args.width = args.width or default_size[0]
    args.height = args.height or default_size[1]
    JOBS[args.job](args)


if __name__ == "__main__":
    main()
