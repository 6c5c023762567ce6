"""Personal data: the privacy page, export, erasure on request, and retention."""
