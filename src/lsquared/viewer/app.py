"""The viewer's HTTP API (Starlette). Every route lives under ``/<token>/``; a request
without the session's token is refused (403) before anything is read. The API takes
ids (files, recipes, jobs), never paths; an unknown id is 404. See README "lsq view"."""

from __future__ import annotations

import io
import json
import secrets
from importlib import resources

import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from lsquared.errors import LsqError
from lsquared.kernels import scopes
from lsquared.pipeline import recipe as rc
from lsquared.viewer.session import NotFound, Session

STATIC = {"": ("index.html", "text/html"), "app.js": ("app.js", "text/javascript"),
          "style.css": ("style.css", "text/css")}  # fmt: skip
SCOPE_KINDS = ("waveform", "parade", "vectorscope", "histogram", "falsecolour", "zebras")
MAX_SIDE = 8192


def bmp_bytes(pixels: np.ndarray) -> bytes:
    """8-bit RGB or grey pixels as an uncompressed BMP with no colour tags (shown as the
    code values). Uncompressed: the page is served on the loopback interface, where
    compressing (PNG) costs more time than sending the bytes."""
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.fromarray(np.ascontiguousarray(pixels)).save(buffer, "BMP")
    return buffer.getvalue()


def image(pixels: np.ndarray) -> Response:
    return Response(bmp_bytes(pixels), media_type="image/bmp",
                    headers={"Cache-Control": "no-store"})  # fmt: skip


def _int(request: Request, name: str, default: int, lo: int = 0, hi: int = MAX_SIDE) -> int:
    value = request.query_params.get(name)
    try:
        number = default if value is None else int(value)
    except ValueError:
        raise _BadRequest(f"{name} must be an integer") from None
    if not lo <= number <= hi:
        raise _BadRequest(f"{name} must be in {lo}..{hi}")
    return number


def _fraction(request: Request, name: str) -> float:
    try:
        value = float(request.query_params.get(name, "0.5"))
    except ValueError:
        raise _BadRequest(f"{name} must be a number") from None
    if not 0.0 <= value <= 1.0:
        raise _BadRequest(f"{name} must be in [0, 1]")
    return value


class _BadRequest(Exception):
    pass


def density_image(counts: np.ndarray) -> np.ndarray:
    """Counts -> 8-bit brightness, logarithmic so single pixels stay visible."""
    counts = counts.astype(np.float64)
    top = np.log1p(counts.max()) if counts.max() > 0 else 1.0
    return (np.log1p(counts) / top * 255.0 + 0.5).astype(np.uint8)


def scope_image(kind: str, codes: np.ndarray, matrix: str, level: float, columns: int):
    """A scope as an image (waveform rows: code 255 at the top)."""
    if kind == "waveform":
        return density_image(scopes.waveform_counts(codes, columns, matrix)[0][::-1])
    if kind == "parade":
        counts = scopes.waveform_counts(codes, columns, matrix, parade=True)
        rgb = np.zeros((256, columns * 3, 3), np.uint8)
        for c in range(3):
            rgb[:, c * columns : (c + 1) * columns, c] = density_image(counts[c][::-1])
        return rgb
    if kind == "vectorscope":
        return density_image(scopes.vectorscope_counts(codes, 256, matrix))
    if kind == "falsecolour":
        return scopes.false_colour(codes, matrix)
    return scopes.zebras(codes, level, matrix)


def create_app(session: Session, token: str | None = None) -> TokenGuard:
    """The ASGI app; its ``token`` is what its URLs need."""
    token = token or secrets.token_urlsafe(24)

    def static(request: Request) -> Response:
        name = request.path_params.get("name", "")
        if name not in STATIC:
            return PlainTextResponse("not found", 404)
        filename, media = STATIC[name]
        text = (resources.files("lsquared.viewer") / "static" / filename).read_bytes()
        return Response(text, media_type=media)

    def files(request: Request) -> Response:
        return JSONResponse({"files": session.files(), "export_dir": str(session.export_dir)})

    def looks(request: Request) -> Response:
        return JSONResponse(session.looks())

    def encodings(request: Request) -> Response:
        from lsquared.batch.plan import VIDEO_CONTAINERS
        from lsquared.color.encodings import names

        return JSONResponse({
            "input": names("input"), "output": names("output"), "video_output": names("video"),
            "lut_input": names("lut_input"), "lut_output": names("display"),
            "working": names("working"), "lens_source": list(rc.LENS_SOURCES),
            "wb_mode": list(rc.WB_MODES), "still_format": list(rc.OUTPUT_FORMATS),
            "codec": list(VIDEO_CONTAINERS), "scope_matrix": list(scopes.LUMA_WEIGHTS),
        })  # fmt: skip

    async def recipe_set(request: Request) -> Response:
        """TOML text, or JSON ``{"base": id, "look": name, "changes": {section: {...}}}``."""
        body = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                data = json.loads(body)
                base, changes = str(data.get("base", session.default_id)), data.get("changes", {})
            except (ValueError, AttributeError):
                raise _BadRequest("the body must be a JSON object") from None
            look = data.get("look")
            rid = session.change_recipe(base, changes, None if look is None else str(look))
        else:
            rid = session.set_recipe_toml(body.decode("utf-8", "replace"))
        return recipe_answer(rid)

    def recipe_answer(rid: str) -> Response:
        recipe = session.get_recipe(rid)
        return JSONResponse({"id": rid, "toml": recipe.to_toml(), "recipe": recipe.to_dict()})

    def recipe_get(request: Request) -> Response:
        rid = request.path_params["rid"]
        if rid.endswith(".json"):
            return recipe_answer(rid[: -len(".json")])
        return PlainTextResponse(session.get_recipe(rid).to_toml(), media_type="application/toml")

    def recipe_default(request: Request) -> Response:
        return recipe_answer(session.default_id)

    def _render(request: Request) -> np.ndarray:
        return session.render(
            request.path_params["fid"], request.query_params.get("recipe", session.default_id),
            _int(request, "w", 1600, 1), _int(request, "h", 1200, 1),
            _int(request, "frame", 0, 0, 10**9),
        )  # fmt: skip

    def render(request: Request) -> Response:
        return image(_render(request))

    def crop(request: Request) -> Response:
        """A 1:1 crop: its corner (``x``, ``y``) in source pixels, or its centre as
        fractions of the frame (``cx``, ``cy`` in [0, 1])."""
        fid, rid = (
            request.path_params["fid"],
            request.query_params.get("recipe", session.default_id),
        )
        cw, ch, frame = (
            _int(request, "cw", 512, 1),
            _int(request, "ch", 512, 1),
            _int(request, "frame", 0, 0, 10**9),
        )
        centre = None
        if "cx" in request.query_params:
            centre = (_fraction(request, "cx"), _fraction(request, "cy"))
        return image(
            session.crop(
                fid, rid, _int(request, "x", 0), _int(request, "y", 0), cw, ch, frame, centre
            )
        )

    def scope(request: Request) -> Response:
        kind = request.path_params["kind"]
        matrix = request.query_params.get("matrix", "rec709")
        if kind not in SCOPE_KINDS or matrix not in scopes.LUMA_WEIGHTS:
            return PlainTextResponse("not found", 404)
        codes = _render(request)
        if kind == "histogram":
            counts = scopes.histogram_counts(codes, matrix)
            return JSONResponse({"r": counts[0].tolist(), "g": counts[1].tolist(),
                                 "b": counts[2].tolist(), "luma": counts[3].tolist()})  # fmt: skip
        level = _int(request, "level", 95, 0, 110)
        columns = _int(request, "columns", min(codes.shape[1], 512), 1, 4096)
        return image(scope_image(kind, codes, matrix, level, columns))

    def graticule(request: Request) -> Response:
        matrix = request.query_params.get("matrix", "rec709")
        if matrix not in scopes.LUMA_WEIGHTS:
            return PlainTextResponse("not found", 404)
        return JSONResponse({
            "targets75": scopes.targets(matrix, 0.75), "targets100": scopes.targets(matrix, 1.0),
            "skin_degrees": scopes.SKIN_TONE_DEGREES,
            "false_colour": [list(b) for b in scopes.FALSE_COLOUR_BANDS],
        })  # fmt: skip

    def notes(request: Request) -> Response:
        fid = request.path_params["fid"]
        session.entry(fid)
        return JSONResponse({"notes": session.notes.get(fid, [])})

    def clip(request: Request) -> Response:
        return JSONResponse(session.clip(request.path_params["fid"]).describe())

    async def export(request: Request) -> Response:
        what = request.path_params["what"]
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise _BadRequest("the body must be JSON") from None
        rid = str(body.get("recipe", session.default_id))
        if what == "recipe":
            return JSONResponse({"path": str(session.export_recipe(rid))})
        if what in ("cube", "vlt"):
            return JSONResponse(session.export_lut(rid, what, str(body.get("input", "vlog"))))
        if what == "still":
            fmt = str(body.get("format", "tif16"))
            return JSONResponse(
                {"path": str(session.export_still(str(body.get("file")), rid, fmt))}
            )
        if what == "clip":
            job = session.export_clip(str(body.get("file")), rid, str(body.get("codec", "h264")))
            return JSONResponse(job.describe())
        return PlainTextResponse("not found", 404)

    def job(request: Request) -> Response:
        return JSONResponse(session.job(request.path_params["jid"]).describe())

    prefix = f"/{token}"
    routes = [
        Route(f"{prefix}/", static),
        Route(prefix + "/static/{name}", static),
        Route(f"{prefix}/api/files", files),
        Route(f"{prefix}/api/looks", looks),
        Route(f"{prefix}/api/encodings", encodings),
        Route(f"{prefix}/api/recipe", recipe_default, methods=["GET"]),
        Route(f"{prefix}/api/recipe", recipe_set, methods=["POST"]),
        Route(prefix + "/api/recipe/{rid}", recipe_get),
        Route(prefix + "/api/render/{fid}", render),
        Route(prefix + "/api/crop/{fid}", crop),
        Route(prefix + "/api/scope/{kind}/{fid}", scope),
        Route(f"{prefix}/api/graticule", graticule),
        Route(prefix + "/api/clip/{fid}", clip),
        Route(prefix + "/api/notes/{fid}", notes),
        Route(prefix + "/api/export/{what}", export, methods=["POST"]),
        Route(prefix + "/api/job/{jid}", job),
    ]

    def lsq_error(request: Request, exc: Exception) -> Response:
        status = 404 if isinstance(exc, NotFound) else 400
        message = exc.one_line() if isinstance(exc, LsqError) else str(exc)
        return JSONResponse({"error": message}, status)

    app = Starlette(routes=routes, exception_handlers={LsqError: lsq_error,
                                                       _BadRequest: lsq_error})  # fmt: skip
    return TokenGuard(app, token)


class TokenGuard:
    """ASGI middleware: a path outside ``/<token>/`` is 403, whatever follows."""

    def __init__(self, app: Starlette, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope, receive, send) -> None:
        prefix = f"/{self.token}"
        path = scope.get("path", "")
        if scope["type"] == "http" and not (path == prefix or path.startswith(prefix + "/")):
            response = PlainTextResponse("forbidden: the URL needs the session token", 403)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
