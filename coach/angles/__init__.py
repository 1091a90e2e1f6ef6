"""Angles: landmarks in, torso-relative head angles (`HeadAngles`) out; pure numpy.

The models' measured response undone, smoothing with time passed in, neutral calibration, the
body checks (arms, shoulders) and the setup check. Never imports cv2 or reads the clock. May import
only the root modules.
"""
