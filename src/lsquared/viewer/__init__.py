"""``lsq view``: a local web page over the engine (Starlette + uvicorn), with scopes."""
