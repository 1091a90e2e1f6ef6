"""MediaPipe pose check of rendered images: where pose landmarks 15-22 (wrists, pinkies, index,
thumbs) land relative to the face (0 nose, 9/10 mouth corners), in pixels and in units of the
mouth width.

    python3 mp_check.py MODEL.task img1.png [img2.png ...]   # one block per image; all values also in /tmp/mp_check.json
"""
import json, sys
import cv2
import numpy as np
import mediapipe as mp
from mediapipe.tasks.python import vision, BaseOptions

NAMES = {15: "L_wrist", 16: "R_wrist", 17: "L_pinky", 18: "R_pinky", 19: "L_index", 20: "R_index", 21: "L_thumb", 22: "R_thumb"}


def main():
    model, files = sys.argv[1], sys.argv[2:]
    opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=model),
                                        running_mode=vision.RunningMode.IMAGE, num_poses=1)
    out = {}
    with vision.PoseLandmarker.create_from_options(opts) as det:
        for f in files:
            img = cv2.imread(f); h, w = img.shape[:2]
            res = det.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(img, cv2.COLOR_BGR2RGB)))
            if not res.pose_landmarks:
                out[f] = None; print(f, "no pose"); continue
            lm = res.pose_landmarks[0]
            px = lambda i: np.array([lm[i].x * w, lm[i].y * h])
            nose = px(0); mouth = 0.5 * (px(9) + px(10)); mw = np.linalg.norm(px(9) - px(10))
            rec = dict(nose_px=nose.round(1).tolist(), mouth_px=mouth.round(1).tolist(), mouth_w_px=round(float(mw), 1))
            print(f, "nose", nose.round(0), "mouth", mouth.round(0), "mouth width %.0f px" % mw)
            for i, nm in NAMES.items():
                p = px(i); d = np.linalg.norm(p - mouth)
                rec[nm] = dict(px=p.round(1).tolist(), vis=round(lm[i].visibility, 3), to_mouth_px=round(float(d), 1),
                               to_mouth_mw=round(float(d / mw), 2), to_nose_px=round(float(np.linalg.norm(p - nose)), 1))
                print("  %2d %-8s (%5.0f,%5.0f) vis %.2f  to mouth %5.0f px (%4.1f mouth widths)  to nose %5.0f px"
                      % (i, nm, p[0], p[1], lm[i].visibility, d, d / mw, np.linalg.norm(p - nose)))
            out[f] = rec
    json.dump(out, open("/tmp/mp_check.json", "w"), indent=1)


if __name__ == "__main__":
    main()
