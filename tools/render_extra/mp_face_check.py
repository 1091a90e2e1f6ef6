"""Face landmarker on rendered images: chin landmark 152 and lower-lip 17 (pixels) vs truth chin_px.

    python3 mp_face_check.py MODEL.task SET_DIR [SET_DIR ...]
"""
import json, os, sys
import cv2
import mediapipe as mp
from mediapipe.tasks.python import vision, BaseOptions


def main():
    model, dirs = sys.argv[1], sys.argv[2:]
    opts = vision.FaceLandmarkerOptions(base_options=BaseOptions(model_asset_path=model),
                                        running_mode=vision.RunningMode.IMAGE, num_faces=1)
    with vision.FaceLandmarker.create_from_options(opts) as det:
        for d in dirs:
            truth = json.load(open(os.path.join(d, "truth.json")))
            for r in truth["renders"]:
                img = cv2.imread(os.path.join(d, r["file"])); h, w = img.shape[:2]
                res = det.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(img, cv2.COLOR_BGR2RGB)))
                if not res.face_landmarks:
                    print(d, r["file"], "no face"); continue
                lm = res.face_landmarks[0]
                c = (lm[152].x * w, lm[152].y * h); lip = (lm[17].x * w, lm[17].y * h)
                print("%-16s %-48s chin152 (%5.1f,%5.1f) lip17 (%5.1f,%5.1f) truth chin (%5.1f,%5.1f) fingertip %s"
                      % (os.path.basename(d), r["file"], *c, *lip, *r["chin_px"], r["fingertip_px"]))


if __name__ == "__main__":
    main()
