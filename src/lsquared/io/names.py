"""The choices the readers and writers of ``io`` accept, by name, in a module that imports
nothing: the recipe schema and the command line's help list them without loading LibRaw's
or FFmpeg's wrappers (``io.raw`` and ``io.video`` take them from here)."""

#: LibRaw's demosaic algorithms, by the names the recipe uses
DEMOSAIC = ("AHD", "AAHD", "DCB", "DHT", "PPG", "VNG", "LINEAR")
#: demosaic algorithms of lsquared's own (``kernels.demosaic``), run on the CFA by the caller's
#: ``cfa_demosaic``
OWN_DEMOSAIC = ("MENON",)
#: codec choice -> (encoder, pixel format, bits)
CODECS = {
    "h264": ("libx264", "yuv420p", 8),
    "h265": ("libx265", "yuv420p10le", 10),
    "prores": ("prores_ks", "yuv422p10le", 10),
    "ffv1": ("ffv1", "yuv444p16le", 16),  # lossless, Matroska only
    "lossless": ("libx264", "yuv444p10le", 10),  # x264 at qp 0, 4:4:4, fits .mov and .mp4
}
