"""What a running instance hands out and how: the reverse proxy in front of the app processes (proxy), the
host-load rule workers follow (hostload), the upload rules the Predict page and the REST API share (uploads),
and trained models for use elsewhere (export, with the standalone predict.py of the zip). Pure: ONNX
conversion runs in a child process."""
