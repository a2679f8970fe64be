"""The compiler: Recipe + source Metadata -> Processor (the OpenColorIO Config -> Processor
model). Stages emit Ops; the compiler tracks the colour encoding between them, inserts the
conversions, folds adjacent matrices, cancels exact inverse curve pairs and drops identities,
so that all point operations run as one fused pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np

from lsquared.color import camera as cam
from lsquared.color import encodings, spaces
from lsquared.errors import InputError, RecipeError
from lsquared.image import Encoding, Image
from lsquared.looks.lut import Lut
from lsquared.metadata import ColorCalibration, Metadata
from lsquared.optics import profile as optics
from lsquared.optics.profile import LensProfile
from lsquared.pipeline.ops import (
    CdlOp,
    ClampOp,
    CurveOp,
    GainMapOp,
    GamutCompressOp,
    HighlightLimitOp,
    HighlightOp,
    HueSatMapOp,
    Lut1DOp,
    Lut3DOp,
    MatrixOp,
    Program,
    RemapOp,
    Renderer,
    ShadowToeOp,
)
from lsquared.pipeline.recipe import DISPLAY_SPACES, Recipe

#: the grade runs in ACEScct (S-2016-001), the encoding a LUT may also declare
GRADING_ENCODING = encodings.lut_input_encoding("acescct")
#: (threshold, limit) of the gamut compression into AP1 before a grade: colours outside AP1
#: have negative components, which ACEScct's linear toe (slope 10.5) turns into large
#: negative code values, and a CDL saturation then mixes those into the other channels (a
#: ridge of ~80 000 display codes per unit of V-Log input, measured on faded-film).
#: Distances from neutral up to 0.8 are kept; beyond, compressed below 1 (nothing negative).
GRADING_GAMUT = (0.8, 1.0)
#: (threshold, limit) of the gamut compression into the display's primaries
DISPLAY_GAMUT = (0.65, 0.97)
#: the display rendering's tone curve runs per channel in linear AP1 (as the ACES RRT does):
#: in V-Gamut/AP1 a colourful highlight has no channel near zero, so the rendering stays
#: smooth in log code values, where a lattice samples it; in display primaries it did not
RENDERING_ENCODING = Encoding("ap1", "linear", "ACES")
#: AP1 luminance weights (the Y row of AP1 -> XYZ, SMPTE ST 2065-1 / ACES TB-2014-004)
AP1_LUMINANCE = (0.2722287168, 0.6740817658, 0.0536895174)
#: width of the shadow roll-off in scene-linear luminance (about -3.2 EV from mid grey)
SHADOW_TOE = 0.02
#: curves whose encode/decode pair is an exact inverse everywhere (so a pair cancels)
INVERTIBLE_CURVES = ("srgb", "rec709", "bt1886", "vlog", "acescct")


def encoding_conversion(src: Encoding, dst: Encoding) -> list:
    """Ops that take pixels from ``src`` to ``dst`` encoding (decode, matrix, encode)."""
    if src.primaries == "camera" or dst.primaries == "camera":
        raise ValueError("camera RGB needs the camera's calibration, not a fixed conversion")
    ops: list = []
    if src.transfer != "linear":
        ops.append(CurveOp(f"{src.transfer}_decode", why=f"decode {src.transfer}"))
    if src.primaries != dst.primaries:
        ops.append(
            MatrixOp.of(
                spaces.matrix(src.primaries, dst.primaries),
                f"{src.primaries} -> {dst.primaries} (Bradford)",
            )
        )
    if dst.transfer != "linear":
        ops.append(CurveOp(f"{dst.transfer}_encode", why=f"encode {dst.transfer}"))
    return ops


@dataclass
class CompileContext:
    """The state the stages see while compiling: source, current encoding, ops so far."""

    recipe: Recipe
    source: Metadata
    encoding: Encoding
    geometry: list = field(default_factory=list)
    point: list = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    display_rendered: bool = False  # a display LUT has already rendered the image

    def convert_to(self, target: Encoding) -> None:
        if self.encoding != target:
            self.point.extend(encoding_conversion(self.encoding, target))
            self.encoding = target

    def emit(self, op, note: str | None = None) -> None:
        self.point.append(op)
        if note:
            self.notes.append(note)


def fold(ops: Iterable) -> list:
    """Multiply adjacent matrices, cancel exact inverse curve pairs, drop identities."""
    out: list = []
    for op in ops:
        prev = out[-1] if out else None
        if isinstance(op, MatrixOp) and isinstance(prev, MatrixOp):
            out[-1] = MatrixOp.of(op.array @ prev.array, f"{prev.why}; {op.why}".strip("; "))
        elif (
            isinstance(op, CurveOp)
            and isinstance(prev, CurveOp)
            and _are_inverse_pair(prev.kind, op.kind)
        ):
            out.pop()
        else:
            out.append(op)
        if out and isinstance(out[-1], MatrixOp) and out[-1].is_identity():
            out.pop()
    return out


def _are_inverse_pair(first: str, second: str) -> bool:
    a, _, da = first.rpartition("_")
    b, _, db = second.rpartition("_")
    return a == b and a in INVERTIBLE_CURVES and {da, db} == {"encode", "decode"}


# --------------------------------------------------------------------------- stages
def _white_for_camera(ctx: CompileContext) -> tuple[np.ndarray, np.ndarray, str]:
    """(camera neutral, white xy, description) for the recipe's white balance on RAW."""
    wb = ctx.recipe.white_balance
    cal = ctx.source.calibration
    if cal is None:
        raise InputError(ctx.source.source_path, "no colour calibration (ColorMatrix) in file")
    if wb.mode == "as_shot" and cal.as_shot_white_xy is not None:
        xy = np.asarray(cal.as_shot_white_xy, dtype=np.float64)
        return cam.xy_to_neutral(cal, xy), xy, "as shot (AsShotWhiteXY)"
    if wb.mode == "as_shot":
        if cal.as_shot_neutral is None:
            raise InputError(ctx.source.source_path, "the file records no as-shot white balance")
        neutral = np.asarray(cal.as_shot_neutral, dtype=np.float64)
        return neutral, cam.neutral_to_xy(cal, neutral), "as shot"
    if wb.mode == "auto":
        if ctx.source.grey_world_neutral is None:
            raise InputError(ctx.source.source_path, "no image statistics for auto white balance")
        neutral = np.asarray(ctx.source.grey_world_neutral, dtype=np.float64)
        return neutral, cam.neutral_to_xy(cal, neutral), "auto (grey world)"
    if wb.mode == "multipliers":
        neutral = 1.0 / np.asarray(wb.multipliers, dtype=np.float64)
        return neutral, cam.neutral_to_xy(cal, neutral), f"multipliers {wb.multipliers}"
    if wb.mode == "daylight":
        xy = cam.daylight_xy()
        return cam.xy_to_neutral(cal, xy), xy, f"daylight (D55, {cam.DAYLIGHT_CCT:.0f} K)"
    xy = cam.kelvin_tint_to_xy(wb.kelvin, wb.tint)
    return cam.xy_to_neutral(cal, xy), xy, f"{wb.kelvin:.0f} K, tint {wb.tint:+.0f}"


def stage_camera(ctx: CompileContext, working: Encoding) -> None:
    """White balance, highlight handling and camera RGB -> XYZ(D65) -> working space, by
    the file's DNG profile (DNG 1.6 ch. 6): ColorMatrix or ForwardMatrix to the D50 PCS,
    the HueSatMap (and, with ``[camera] look``, the LookTable after the baseline exposure)
    in linear ProPhoto RGB, as the DNG SDK renders, then Bradford to D65."""
    neutral, white_xy, how = _white_for_camera(ctx)
    mult = 1.0 / (neutral / neutral.max())
    mult = mult / mult.min()
    cct = cam.xy_to_cct(white_xy)
    ctx.emit(
        MatrixOp.of(np.diag(mult), "white balance"),
        f"white balance: {how}; multipliers R {mult[0]:.4f} G {mult[1]:.4f} B {mult[2]:.4f}; "
        f"white xy ({white_xy[0]:.4f}, {white_xy[1]:.4f}) ~ {cct:.0f} K",
    )
    mode = ctx.recipe.highlights.mode
    ctx.emit(
        HighlightOp(mode, (float(mult[0]), float(mult[1]), float(mult[2])), "highlights"),
        f"highlights: {mode} (channels clip at {', '.join(f'{m:.3f}' for m in mult)})",
    )
    cal = ctx.source.calibration
    to_pcs = cam.camera_to_pcs(cal, white_xy) @ np.diag(1.0 / mult)
    gain = cam.baseline_gain(cal)
    hue_sat = cam.hue_sat_map_for_white(cal, white_xy)
    look = cal.look_table if ctx.recipe.camera.look else None
    pcs_to_working = spaces.matrix("xyz", working.primaries) @ cam.pcs_to_xyz_d65()
    ctx.notes.append(_profile_note(cal, white_xy, gain))
    if hue_sat is None and look is None:
        ctx.emit(MatrixOp.of(gain * pcs_to_working @ to_pcs, "camera -> XYZ(D65) -> working"))
    else:
        to_prophoto = cam.pcs_to_prophoto()
        ctx.emit(MatrixOp.of(to_prophoto @ to_pcs, "camera -> PCS -> linear ProPhoto"))
        if hue_sat is not None:
            ctx.emit(HueSatMapOp(hue_sat, cal.hue_sat_maps[0].srgb_value, "HueSatMap"))
        ctx.emit(MatrixOp.of(gain * np.eye(3), "baseline exposure"))
        if look is not None:
            ctx.emit(HueSatMapOp(cam.hue_sat_table(look), look.srgb_value, "LookTable"))
        ctx.emit(MatrixOp.of(pcs_to_working @ np.linalg.inv(to_prophoto), "ProPhoto -> working"))
    ctx.notes.append(_tables_note(cal, hue_sat is not None, ctx.recipe.camera.look))
    ctx.encoding = working


def _profile_note(cal: ColorCalibration, white_xy: np.ndarray, gain: float) -> str:
    """--explain: which matrices, illuminants and weights, exposure, and every tag read."""
    weights = cam.illuminant_weights(cal, white_xy)
    lights = "; ".join(
        f"{i + 1}: {cam.describe_illuminant(cal, i)}, weight {w:.3f}" for i, w in enumerate(weights)
    )
    path = (
        "ForwardMatrix * D * Inverse(AnalogBalance * CameraCalibration)"
        if cam.uses_forward_matrix(cal)
        else "Inverse(AnalogBalance * CameraCalibration * ColorMatrix), Bradford to D50"
    )
    ev = cal.baseline_exposure_ev + cal.baseline_exposure_offset_ev
    tags = ", ".join(cal.tags) or "none (LibRaw's built-in matrix)"
    return (
        f"camera RGB -> XYZ (DNG 1.6 ch. 6): {path}, then Bradford D50 -> D65; "
        f"illuminants {lights}; baseline exposure {ev:+.2f} EV (x{gain:.4f}); "
        f"DNG tags used: {tags}"
    )


def _tables_note(cal: ColorCalibration, hue_sat: bool, look_wanted: bool) -> str:
    parts = []
    if hue_sat:
        hue, sat, val = cal.hue_sat_maps[0].dims
        parts.append(f"HueSatMap {hue}x{sat}x{val} ({len(cal.hue_sat_maps)} table(s))")
    if cal.look_table is not None:
        hue, sat, val = cal.look_table.dims
        state = "applied" if look_wanted else "not applied ([camera] look = false)"
        parts.append(f"LookTable {hue}x{sat}x{val} {state}")
    return "camera profile tables: " + (", ".join(parts) or "none")


def stage_white_balance_scene(ctx: CompileContext) -> None:
    """White balance on already-rendered (video, TIFF) sources: Bradford from the named
    white to D65, or per-channel multipliers in the working space."""
    wb = ctx.recipe.white_balance
    if wb.mode == "as_shot":
        return
    if wb.mode in ("daylight", "kelvin"):
        xy = (
            cam.daylight_xy()
            if wb.mode == "daylight"
            else cam.kelvin_tint_to_xy(wb.kelvin, wb.tint)
        )
        to_xyz = spaces.matrix(ctx.encoding.primaries, "xyz")
        m = np.linalg.inv(to_xyz) @ spaces.cat_matrix(xy, spaces.D65_XY) @ to_xyz
        ctx.emit(MatrixOp.of(m, "white balance"), f"white balance: Bradford {xy.round(4)} -> D65")
    elif wb.mode == "multipliers":
        ctx.emit(
            MatrixOp.of(np.diag(wb.multipliers), "white balance"),
            f"white balance: multipliers {wb.multipliers} in the working space",
        )
    else:
        raise RecipeError("[white_balance] mode", "auto is only available for RAW sources")


@dataclass(frozen=True)
class LensCorrection:
    """What the engine resolved for the recipe's ``[lens]``: a profile (or None, with the
    reason), the crop factor of the recorded frame and a note saying where it came from."""

    profile: LensProfile | None
    crop: float
    note: str


def stage_lens(ctx: CompileContext, lens: LensCorrection | None) -> None:
    """Vignetting gain, then one remap for distortion + TCA (+ zoom to hide borders), all
    on the recorded pixels before any colour work."""
    spec = ctx.recipe.lens
    if lens is None or lens.profile is None:
        ctx.notes.append(lens.note if lens else "lens: no correction (source none)")
        return
    if ctx.source.image_size is None:
        raise InputError(ctx.source.source_path, "image size unknown: cannot build lens maps")
    p, (w, h) = lens.profile, ctx.source.image_size
    done = []
    has_vignetting = p.vignetting is not None or p.dng_vignette is not None
    if spec.vignetting and has_vignetting and ctx.source.camera_corrected_vignetting:
        done.append("not vignetting: the camera's shading compensation already did")
    elif spec.vignetting and has_vignetting:
        grid = optics.vignetting_grid(p, w, h, lens.crop)
        ctx.geometry.append(GainMapOp(grid, optics.GRID_STEP, "vignetting"))
        done.append("vignetting (DNG FixVignetteRadial)" if p.dng_vignette else "vignetting (pa)")
    geometry = replace(
        p,
        distortion=p.distortion if spec.distortion else None,
        tca=p.tca if spec.tca else None,
        dng_warp=p.dng_warp if (spec.distortion or spec.tca) else None,
        rw2_distortion=p.rw2_distortion if spec.distortion else None,
    )
    if geometry.has_geometry:
        scale = spec.scale or optics.auto_scale(geometry, w, h, lens.crop)
        gx, gy = optics.geometry_grid(geometry, w, h, lens.crop, scale)
        ctx.geometry.append(RemapOp(gx, gy, optics.GRID_STEP, spec.filter, "distortion + TCA"))
        if geometry.distortion is not None:
            done.append(f"distortion ({geometry.distortion[0]})")
        if geometry.tca is not None:
            done.append(f"TCA ({geometry.tca[0]})")
        if geometry.dng_warp is not None:
            done.append("distortion + TCA (DNG WarpRectilinear)")
        if geometry.rw2_distortion is not None:
            done.append("distortion (RW2 DistortionInfo)")
        done.append(f"scale {scale:.4f}, {spec.filter} resampling")
    ctx.notes.append(f"{lens.note}; corrected: {', '.join(done) or 'nothing'}")


def stage_exposure(ctx: CompileContext) -> None:
    ev = ctx.recipe.exposure.ev
    ctx.emit(MatrixOp.of(np.eye(3) * 2.0**ev, "exposure"), f"exposure: {ev:+.2f} EV")


def stage_grade(ctx: CompileContext) -> None:
    """The look's ASC CDL, in ACEScct on AP1 (the ACES grading convention)."""
    g = ctx.recipe.grade
    op = CdlOp(g.slope, g.offset, g.power, g.saturation, "grade")
    if op.is_identity():
        return
    back = ctx.encoding
    ctx.convert_to(replace(GRADING_ENCODING, transfer="linear"))
    ctx.emit(GamutCompressOp(*GRADING_GAMUT, why="into AP1 before the grade"))
    ctx.convert_to(GRADING_ENCODING)
    name = ctx.recipe.look.name or "recipe"
    ctx.emit(
        op,
        f"grade ({name}): ASC CDL in ACEScct, slope {g.slope}, offset {g.offset}, "
        f"power {g.power}, saturation {g.saturation}",
    )
    ctx.convert_to(back)


def lut_ops(lut: Lut, why: str) -> list:
    """Ops that apply a :class:`~lsquared.looks.lut.Lut` (shaper, .vlt node map, 3D table)."""
    ops: list = []
    if lut.shaper is not None:
        ops.append(Lut1DOp(lut.shaper, lut.shaper_min, lut.shaper_max, why))
    index = lut.index_shaper()
    if index is not None:
        ops.append(Lut1DOp(index, lut.domain_min, lut.domain_max, why))
        ops.append(Lut3DOp(lut.table, why=why))
    elif lut.table is not None:
        ops.append(Lut3DOp(lut.table, lut.domain_min, lut.domain_max, why=why))
    return ops


def stage_lut(ctx: CompileContext, lut: Lut) -> None:
    """A LUT file: converted to the encoding it expects, applied; its output is
    display-referred in ``lut_output``, so it replaces the display rendering."""
    look = ctx.recipe.look
    ctx.convert_to(encodings.lut_input_encoding(look.lut_input))
    for op in lut_ops(lut, f"LUT {lut.source}"):
        ctx.emit(op)
    ctx.notes.append(
        f"LUT {lut.source or look.lut} ({lut.size}^3{', shaper' if lut.shaper is not None else ''}"
        f"{', .vlt 12-bit nodes' if lut.nodes == 'vlt12' else ''}): input {look.lut_input}, "
        f"output {look.lut_output} (display-referred; replaces the display rendering)"
    )
    ctx.encoding = encodings.output_encoding(look.lut_output)[0]
    ctx.display_rendered = True


def stage_output(ctx: CompileContext) -> Encoding:
    space = ctx.recipe.output.space
    target, display = encodings.output_encoding(space)
    if ctx.display_rendered:
        if not display:
            raise RecipeError(
                "[output] space",
                f"{space} is scene-referred but the LUT renders for display; "
                f"choose one of {', '.join(DISPLAY_SPACES)}",
            )
        ctx.convert_to(Encoding(target.primaries, "linear"))
        ctx.emit(ClampOp(0.0, 1.0, "display gamut"))
    elif display:
        contrast = ctx.recipe.display.contrast
        ctx.convert_to(RENDERING_ENCODING)
        ctx.emit(
            GamutCompressOp(*GRADING_GAMUT, why="into AP1 for the rendering"),
            "display rendering in AP1 (per channel, as ACES's): colours outside AP1 compressed "
            "inside it first",
        )
        ctx.emit(
            ShadowToeOp(SHADOW_TOE, AP1_LUMINANCE, "shadow roll-off"),
            f"shadow roll-off on AP1 luminance (Y^2 / (Y^2 + {SHADOW_TOE:g}^2), channel ratios "
            "kept, mid grey kept)",
        )
        ctx.emit(
            CurveOp("tone", contrast, "display rendering"),
            f"tone curve per AP1 channel (Naka-Rushton, contrast {contrast:.2f}, mid grey 0.18 "
            "kept, highlights roll off)",
        )
        ctx.convert_to(Encoding(target.primaries, "linear"))
        ctx.emit(
            GamutCompressOp(*DISPLAY_GAMUT, why="display gamut"),
            f"gamut compression in {target.primaries}: distance from neutral beyond "
            f"{DISPLAY_GAMUT[0]:g} compressed smoothly below {DISPLAY_GAMUT[1]:g} (out-of-gamut "
            "colours come back inside)",
        )
        ctx.emit(
            HighlightLimitOp(why="display white"),
            "highlight limit: a smooth maximum of the channels beyond 0.9 rolled off below 1 "
            "(channel ratios kept; no clip)",
        )
    ctx.convert_to(target)
    kind = "display-referred" if display else "scene-referred"
    ctx.notes.append(f"output: {space} ({target.primaries} primaries, {target.transfer}, {kind})")
    return target


# --------------------------------------------------------------------------- compile


def compile_recipe(
    recipe: Recipe,
    source: Metadata,
    source_encoding: Encoding,
    renderer: Renderer,
    lut: Lut | None = None,
    lens: LensCorrection | None = None,
) -> Processor:
    """Compile ``recipe`` against a source's metadata into a Processor; ``lut`` is the
    already-read LUT file the recipe's ``[look] lut`` names (the compiler does no I/O)."""
    if recipe.output.space not in encodings.names("output"):
        raise RecipeError("[output] space", f"unknown output space {recipe.output.space!r}")
    working, _ = encodings.output_encoding(recipe.working.space)
    ctx = CompileContext(recipe, source, source_encoding)
    ctx.notes.append(
        f"source: {source.source_path or '<array>'} ({source_encoding.primaries}, "
        f"{source_encoding.transfer})"
    )
    stage_lens(ctx, lens)
    if source_encoding.primaries == "camera":
        stage_camera(ctx, working)
    else:
        ctx.convert_to(working)
        stage_white_balance_scene(ctx)
    ctx.notes.append(f"working space: {recipe.working.space} (scene-linear)")
    stage_exposure(ctx)
    stage_grade(ctx)
    if lut is not None:
        stage_lut(ctx, lut)
    elif recipe.look.lut:
        raise RecipeError("[look] lut", f"{recipe.look.lut} was not read before compiling")
    out_encoding = stage_output(ctx)
    point = fold(ctx.point)
    ctx.notes.append(
        f"fused: {len(ctx.geometry)} geometry op(s), then 1 pass of {len(point)} point op(s) "
        f"on the {renderer.name} renderer"
    )
    return Processor(
        Program(tuple(ctx.geometry), tuple(point)),
        source_encoding,
        out_encoding,
        tuple(ctx.notes),
        renderer,
        display_referred=recipe.output.space in DISPLAY_SPACES,
    )


@dataclass(frozen=True)
class Processor:
    """A compiled recipe: apply it to many images or frames. Never mutates its input."""

    program: Program
    input_encoding: Encoding
    output_encoding: Encoding
    notes: tuple[str, ...]
    renderer: Renderer
    display_referred: bool = False

    def apply_array(self, pixels: np.ndarray, bits: int = 0) -> np.ndarray:
        """Run on an H x W x 3 float32 array; returns a new array, float32 or, with
        ``bits`` 8 or 16, quantised in the same pass (clamped, rounded half up)."""
        if pixels.ndim != 3 or pixels.shape[2] != 3:
            raise ValueError(f"expected H x W x 3 pixels, got {pixels.shape}")
        pixels = np.ascontiguousarray(pixels, dtype=np.float32)
        return self.renderer.run(self.program, pixels, bits)

    def apply(self, image: Image) -> Image:
        if image.encoding != self.input_encoding:
            raise ValueError(
                f"processor was compiled for {self.input_encoding}, image is {image.encoding}"
            )
        return image.with_pixels(self.apply_array(image.pixels), self.output_encoding)

    def with_renderer(self, renderer: Renderer) -> Processor:
        """The same program on another renderer (e.g. the numpy reference)."""
        return replace(self, renderer=renderer)

    def describe(self) -> str:
        """What the processor does, one line per step (what ``--explain`` prints)."""
        lines = [f"  {n}" for n in self.notes]
        lines.append("  ops:")
        for op in self.program.geometry + self.program.point:
            lines.append(f"    {_op_summary(op)}")
        return "\n".join(lines)


def _op_summary(op) -> str:
    if isinstance(op, MatrixOp):
        rows = "; ".join(" ".join(f"{v:+.4f}" for v in row) for row in op.array)
        return f"matrix [{rows}]  ({op.why})"
    if isinstance(op, CurveOp):
        return f"curve {op.kind}" + (f" ({op.param:g})" if op.kind == "tone" else "")
    if isinstance(op, ClampOp):
        return f"clamp [{op.lo:g}, {op.hi:g}]"
    if isinstance(op, HighlightOp):
        return f"highlights {op.mode}"
    if isinstance(op, CdlOp):
        return f"ASC CDL (sat {op.saturation:g})"
    if isinstance(op, GamutCompressOp):
        return f"gamut compression ({op.threshold:g} -> {op.limit:g})"
    if isinstance(op, ShadowToeOp):
        return f"shadow roll-off (width {op.width:g})"
    if isinstance(op, HighlightLimitOp):
        return f"highlight limit ({op.threshold:g} -> {op.limit:g})"
    if isinstance(op, Lut3DOp):
        return f"3D LUT {op.table.shape[0]}^3 {op.interpolation}"
    if isinstance(op, Lut1DOp):
        return f"1D LUT {op.table.shape[0]}"
    if isinstance(op, HueSatMapOp):
        hue, sat, val = op.divisions
        return f"hue/sat map {hue}x{sat}x{val} ({op.why})"
    if isinstance(op, RemapOp):
        return f"remap ({op.filter}, grid every {op.step} px)"
    if isinstance(op, GainMapOp):
        return f"gain map (grid every {op.step} px)"
    return f"{type(op).__name__} ({getattr(op, 'why', '')})"
