"""FFmpeg, wrapped once: PyAV for probes and pictures in-process, the ffmpeg command for proxies.

``info`` holds the typed results (``MediaInfo``, ``VideoInfo``, ``AudioInfo``) and the parsing
of tags; ``probe``, ``frames`` and ``sound`` read files through PyAV; ``ffmpeg`` finds and runs the
ffmpeg program; ``hdr`` maps HDR pictures to SDR; ``isobmff`` reads MP4 display matrices. Nothing
outside this package imports ``av`` or ``ffmpeg``.
"""
