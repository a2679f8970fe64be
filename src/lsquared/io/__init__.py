"""Reading and writing files: RAW, stills, video, metadata; every write is atomic."""
