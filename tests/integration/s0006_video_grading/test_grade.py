"""Video grading: clips the tests make themselves (V-Log-encoded frames, AAC audio), graded
losslessly and compared frame by frame with the Processor; audio, timestamps and tags kept."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from lsquared import engine
from lsquared.io import video, yuv
from lsquared.pipeline.recipe import Recipe
from tests.conftest import lsq_peak_bytes, make_clip, mux_stereo_tone, run_lsq, sha256

av = pytest.importorskip("av")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clip") / "vlog.mov")


def _packets(path, kind):
    with av.open(str(path)) as c:
        stream = c.streams.video[0] if kind == "video" else c.streams.audio[0]
        return [(p.pts, bytes(p)) for p in c.demux(stream) if p.size]


def _code_values(path):
    with av.open(str(path)) as c:
        return [
            (np.stack(video.frame_planes(f, 10), -1).astype(np.int64), f.pts)
            for f in c.decode(c.streams.video[0])
        ]


def test_lossless_grade_equals_processor_and_keeps_time_and_audio(clip, tmp_path):
    """x264 at qp 0 (4:4:4, 10 bit): every output code value equals the Processor's result
    on the decoded source frame, encoded with the output matrix, within 1 LSB; frame count,
    timestamps and audio packets are the source's."""
    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), "teal-orange")
    out = tmp_path / "graded.mov"
    result = engine.grade_file(clip, out, recipe, "vlog", "lossless")
    _assert_graded_exactly(clip, out, result, frames=12)
    with av.open(str(clip)) as a, av.open(str(out)) as b:
        assert a.streams.video[0].time_base == b.streams.video[0].time_base


def _assert_graded_exactly(clip, out, result, frames: int) -> None:
    """Every output code value equals the Processor's result on the decoded source frame,
    encoded with the BT.709 matrix, within 1 LSB; frame count, timestamps and the audio
    packets' bytes are the source's."""
    source = list(video.read_frames(clip))
    graded = _code_values(out)
    assert result.frames == len(source) == len(graded) == frames
    assert [pts for _, pts in graded] == [pts for _, pts in source]
    for (src, _), (got, _) in zip(source, graded, strict=True):
        expected = np.stack(yuv.rgb_to_yuv(result.processor.apply_array(src), 10, "bt709"), -1)
        assert np.abs(got - expected).max() <= 1
    assert [b for _, b in _packets(out, "audio")] == [b for _, b in _packets(clip, "audio")]


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
@pytest.mark.parametrize(
    ("codec", "space", "tags"),
    [
        ("h265", "rec709", ("bt709", "bt709", "bt709")),
        ("h265", "rec2020", ("bt2020", "bt2020-10", "bt2020nc")),
        ("h264", "srgb", ("bt709", "iec61966-2-1", "bt709")),
        ("prores", "rec709", ("bt709", "bt709", "bt709")),
        ("prores", "rec2020", ("bt2020", "bt2020-10", "bt2020nc")),
    ],
)
def test_colour_tags_as_ffprobe_reads_them(clip, tmp_path, codec, space, tags):
    out = tmp_path / f"t-{space}.{'mov' if codec == 'prores' else 'mp4'}"
    engine.grade_file(clip, out, Recipe().replace("output", space=space), "vlog", codec)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=color_primaries,color_transfer,color_space,pix_fmt", "-of", "json", str(out)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    s = json.loads(probe.stdout)["streams"][0]
    assert (s["color_primaries"], s["color_transfer"], s["color_space"]) == tags
    assert (
        s["pix_fmt"] == {"h265": "yuv420p10le", "prores": "yuv422p10le", "h264": "yuv420p"}[codec]
    )


def test_cli_grade_with_stills_and_bad_inputs(clip, tmp_path):
    before = sha256(clip)
    out = tmp_path / "g.mov"
    ok = run_lsq(
        "grade",
        clip,
        "-o",
        out,
        "--input",
        "vlog",
        "--look",
        "faded-film",
        "--codec",
        "h264",
        "--stills",
        "2",
    )
    assert ok.returncode == 0, ok.stderr
    assert out.exists() and len(list(tmp_path.glob("g_*.png"))) == 2
    assert sha256(clip) == before
    text = tmp_path / "notes.mov"
    text.write_text("not a video\n" * 100)
    truncated = tmp_path / "cut.mov"
    truncated.write_bytes(clip.read_bytes()[: clip.stat().st_size // 3])
    audio_only = tmp_path / "audio.m4a"
    with av.open(str(audio_only), "w") as c:
        a = c.add_stream("aac", rate=48000)
        af = av.AudioFrame.from_ndarray(
            np.zeros((2, 1024), np.float32), format="fltp", layout="stereo"
        )
        af.sample_rate = 48000
        for p in [*a.encode(af), *a.encode(None)]:
            c.mux(p)
    for bad in (text, truncated, audio_only, tmp_path / "missing.mov"):
        target = tmp_path / f"{bad.stem}-out.mov"
        result = run_lsq("grade", bad, "-o", target)
        assert result.returncode == 2, (bad, result.stderr)
        assert result.stderr.startswith("lsq: ") and len(result.stderr.strip().splitlines()) == 1
        assert not target.exists()


def _peak_mb(*args) -> float:
    return lsq_peak_bytes(*args) / 2**20


@pytest.mark.slow
@pytest.mark.parametrize("path", [("--exact",), ()], ids=["rgb", "planes"])
def test_peak_memory_does_not_grow_with_clip_length(tmp_path, path):
    """64 frames (past x264's lookahead, so the encoder is at steady state) vs 320, on
    ``--exact``'s R'G'B' path and on the default plane-to-plane one (the baked LUT): a frame
    kept per frame read (0.7 MB as float RGB at this size) would add 180 MB to the long
    clip's peak."""
    short = make_clip(tmp_path / "short.mov", frames=64, w=320, h=180, audio=False)
    long = make_clip(tmp_path / "long.mov", frames=320, w=320, h=180, audio=False)
    args = ("--input", "vlog", "--look", "neutral", "--codec", "h264", *path)
    a = _peak_mb("grade", short, "-o", tmp_path / "a.mp4", *args)
    b = _peak_mb("grade", long, "-o", tmp_path / "b.mp4", *args)
    assert b <= a * 1.10, (a, b)


def _holds_data(folder) -> bool:
    return any(f.stat().st_size > 0 for f in folder.iterdir())


@pytest.mark.slow
def test_killed_grade_leaves_nothing_at_the_output_path(tmp_path):
    """Killed once its temporary output holds data (so it is mid-write), the grade leaves no
    file at the output path."""
    import signal
    import sys
    import time

    src = make_clip(tmp_path / "long.mov", frames=96, w=640, h=360, audio=False)
    out = tmp_path / "out" / "killed.mov"
    out.parent.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "lsquared", "grade", str(src), "-o", str(out),
                             "--input", "vlog", "--codec", "h265", "--preset", "slow"])  # fmt: skip
    end = time.monotonic() + 300
    while not _holds_data(out.parent) and proc.poll() is None and time.monotonic() < end:
        time.sleep(0.05)
    assert proc.poll() is None, "finished before it could be killed; make the clip longer"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists()


def test_start_and_duration_select_frames(clip, tmp_path):
    out = tmp_path / "part.mov"
    result = engine.grade_file(clip, out, Recipe().replace("output", space="rec709"), "vlog", "lossless",
                               start_s=4 / 24, duration_s=5 / 24)  # fmt: skip
    assert result.frames == 5
    source_pts = [pts for _, pts in video.read_frames(clip)][4:9]
    assert [pts for _, pts in video.read_frames(out)] == [p - source_pts[0] for p in source_pts]


def test_h264_encodes_are_reproducible_at_heights_that_are_not_a_multiple_of_16(tmp_path):
    """libx264 reads heap memory it never wrote at such heights (1080p is one); the same
    clip graded again in the same process must still give the same bytes."""
    source = make_clip(
        tmp_path / "c.mp4", frames=6, w=192, h=108, codec="libx264", pix_fmt="yuv420p", bits=8
    )
    recipe = engine.with_look_name(Recipe(), "warm-classic").replace("output", space="rec709")
    digests = set()
    for i in range(4):
        engine.grade_file(source, tmp_path / f"g{i}.mp4", recipe, "vlog", "h264")
        digests.add(sha256(tmp_path / f"g{i}.mp4"))
    assert len(digests) == 1


def _ffprobe_stream(path) -> dict:
    shown = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_streams", "-of", "json",
         str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(shown.stdout)["streams"][0]


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
@pytest.mark.parametrize("codec", ["h264", "prores"])
def test_rotation_and_timecode_are_kept_and_a_trim_moves_the_timecode(tmp_path, codec):
    """As ffprobe reads them: the display matrix's rotation and the start timecode of the
    source; ``--start 0.25`` at 24 fps starts 6 frames later."""
    clip = make_clip(tmp_path / "rotated.mov", rotation=90, timecode="01:02:03:20")
    suffix = ".mov" if codec == "prores" else ".mp4"
    for start, expected in ((0.0, "01:02:03:20"), (0.25, "01:02:04:02")):
        out = tmp_path / f"graded-{start}{suffix}"
        engine.grade_file(clip, out, Recipe(), "vlog", codec, start_s=start)
        stream = _ffprobe_stream(out)
        rotations = [d.get("rotation") for d in stream.get("side_data_list", [])]
        assert rotations == [_ffprobe_stream(clip)["side_data_list"][0]["rotation"]]
        assert stream["tags"]["timecode"] == expected


def _log_chart_clip(path, frames=4, w=384, h=216, log="vlog", codec="ffv1"):
    """A 10-bit clip of a simulated ColorChecker in camera log: one column per patch (D65;
    V-Gamut for V-Log, BT.2020 for L-Log), exposure rising from -4 to +4 stops down the
    frame, and a neutral ramp over the whole signal range in the bottom rows. FFV1 4:4:4
    (lossless) or ProRes 422 HQ with a stereo AAC track."""
    from lsquared.color import scene, spaces, transfer

    _, xyz, _ = scene.checker_xyz("D65")
    gamut, encode = {
        "vlog": ("vgamut", transfer.vlog_encode),
        "llog": ("rec2020", transfer.llog_encode),
    }[log]
    camera = xyz @ spaces.matrix("xyz", gamut).T
    stops = np.exp2(np.linspace(-4, 4, h - 16))[:, None, None]
    columns = np.repeat(camera, w // 24, axis=0)[None]
    rgb = np.concatenate([encode(stops * columns), np.zeros((16, w, 3))])
    rgb[-16:] = np.linspace(0.1, 0.95, w)[None, :, None]
    encoder, pix_fmt = {"ffv1": ("ffv1", "yuv444p10le"), "prores": ("prores_ks", "yuv422p10le")}[
        codec
    ]
    with av.open(str(path), "w") as out:
        v = out.add_stream(encoder, rate=24)
        v.width, v.height, v.pix_fmt = w, h, pix_fmt
        v.codec_context.colorspace = av.video.reformatter.Colorspace.ITU709
        a = out.add_stream("aac", rate=48000) if codec == "prores" else None
        for i in range(frames):
            out.mux(v.encode(video.rgb_frame(av, rgb, pix_fmt, 10, video.EncodeTags(), i)))
        out.mux(v.encode(None))
        if a is not None:
            mux_stereo_tone(out, a, frames * 2000 // 1024 + 1, period=7)
    return path


def test_llog_prores_clip_grades_exactly_with_its_audio(tmp_path):
    """An L-Log (BT.2020) ProRes 422 HQ clip with audio, graded losslessly: every code value
    equals the Processor (input llog) on the decoded source within 1 LSB, frame times and
    the audio packets are the source's."""
    clip = _log_chart_clip(tmp_path / "llog.mov", frames=6, log="llog", codec="prores")
    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), "warm-classic")
    out = tmp_path / "graded.mov"
    result = engine.grade_file(clip, out, recipe, "llog", "lossless")
    assert "rec2020" in result.processor.describe() and "llog" in result.processor.describe()
    _assert_graded_exactly(clip, out, result, frames=6)


def _rgb8(path) -> np.ndarray:
    with av.open(str(path)) as c:
        frames = [video.frame_to_rgb(f, video.probe(path)) for f in c.decode(c.streams.video[0])]
    return np.floor(np.clip(np.stack(frames), 0, 1) * 255 + 0.5)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
@pytest.mark.parametrize("look", ["neutral", "teal-orange", "faded-film"])
def test_ffmpeg_lut3d_with_the_baked_look_gives_the_same_frames(tmp_path, look):
    """Independent cross-check: ffmpeg's CLI, converting Y'CbCr with the BT.709 matrix and
    applying the look baked to a 65^3 .cube (lut3d, tetrahedral), gives lsquared's graded
    frames within 2 LSB at 8 bit (both lossless 4:4:4, so no chroma filter differs). What
    remains is the 65^3 LUT's interpolation error: up to 7.4 10-bit codes on this chart
    (teal-orange, deepest shadows), 10.2 before the bake's node fitting."""
    clip = _log_chart_clip(tmp_path / "chart.mkv")
    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), look)
    engine.grade_file(clip, tmp_path / "lsq.mp4", recipe, "vlog", "lossless")
    cube = tmp_path / "look.cube"
    run_lsq("lut", "bake", "--look", look, "--input", "vlog", "--size", "65", "-o", str(cube))
    chain = (  # zscale (zimg) converts exactly; swscale's 10-bit limited range is 3.7 codes off
        "zscale=min=709:rin=limited:dither=none,format=gbrpf32le,"
        f"lut3d=file={cube}:interp=tetrahedral,"
        "zscale=m=709:r=limited:dither=none,format=yuv444p10le"
    )
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(clip), "-vf", chain, "-c:v", "libx264", "-qp", "0",
         "-colorspace", "bt709", str(tmp_path / "ffmpeg.mp4")],
        check=True,
    )  # fmt: skip
    ours, theirs = _rgb8(tmp_path / "lsq.mp4"), _rgb8(tmp_path / "ffmpeg.mp4")
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() <= 2


@pytest.mark.parametrize("look", ["teal-orange", "faded-film"])
def test_fast_grade_through_a_baked_lut_stays_close_to_the_exact_grade(tmp_path, look):
    """``--fast`` (the recipe baked into a 65^3 LUT) against the exact per-pixel recipe on
    the V-Log chart, both lossless: within 2 LSB at 8 bit, and not identical (it really is
    the LUT that ran). Its frames go plane to plane (kernels.video): each equals the baked
    Processor's R'G'B' result, which is also what a still shows, encoded, within 1 LSB."""
    clip = _log_chart_clip(tmp_path / "chart.mkv")
    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), look)
    exact = engine.grade_file(clip, tmp_path / "exact.mp4", recipe, "vlog", "lossless")
    stills = []
    fast = engine.grade_file(
        clip, tmp_path / "fast.mp4", recipe, "vlog", "lossless",
        on_frame=lambda n, graded, seconds: stills.append(graded()), fast=True,
    )  # fmt: skip
    assert "65^3 LUT" in fast.processor.describe() and "LUT" not in exact.processor.describe()
    a, b = _rgb8(tmp_path / "exact.mp4"), _rgb8(tmp_path / "fast.mp4")
    assert np.abs(a - b).max() <= 2
    assert (a != b).any()
    coded = _code_values(tmp_path / "fast.mp4")
    assert len(coded) == len(stills) == 4
    for (got, _), still in zip(coded, stills, strict=True):
        assert np.abs(got - np.stack(yuv.rgb_to_yuv(still, 10, "bt709"), -1)).max() <= 1
