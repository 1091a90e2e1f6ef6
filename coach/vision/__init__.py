"""Vision: frame sources (camera, video, image) and the models' landmarks.

The first pipeline stage. `pose` is the only importer of MediaPipe; everything it returns is our
own frozen types from `coach.landmarks`. May import only the root modules.
"""
