"""The speed helpers of a headless run give the same results as the plain sequential code.

- `VideoFileSource(read_ahead=N)` decodes on a reader thread: same frames, same timestamps,
  errors reach the consumer, closing mid-file stops the thread.
- `PoseTracker(concurrent=True)` runs the face model and the census graph (LIVE_STREAM graphs)
  beside the pose graph: same landmarks, face matrices and people counts as
  ``concurrent=False``, on real frames where the person is present and then leaves.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from coach.vision.capture import VideoFileSource

CLIP = "webcam_person_then_cartoon.mov"


def _decode_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "coach-video-decode" and t.is_alive()]


@pytest.mark.model
def test_read_ahead_gives_the_same_frames(shared_data):
    with VideoFileSource(shared_data / CLIP) as plain:
        expected = list(plain)
    with VideoFileSource(shared_data / CLIP, read_ahead=2) as ahead:
        import cv2

        # Decoding ahead uses one FFmpeg thread (less CPU in all; see VideoFileSource).
        assert ahead._cap.get(cv2.CAP_PROP_N_THREADS) == 1
        got = list(ahead)
    assert [t for t, _ in got] == [t for t, _ in expected]
    assert len(got) == 169
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(got, expected))
    assert not _decode_threads()


@pytest.mark.model
def test_read_ahead_close_mid_file_stops_the_reader(shared_data):
    src = VideoFileSource(shared_data / CLIP, read_ahead=2)
    it = iter(src)
    for _ in range(5):
        next(it)
    assert _decode_threads(), "the reader thread should be running mid-file"
    src.close()
    assert not _decode_threads()
    assert next(it, None) is None  # a closed source hands out nothing more


@pytest.mark.model
def test_read_ahead_passes_decode_errors_to_the_consumer(shared_data):
    class BrokenCapture:
        def read(self):
            raise OSError("disk gone")

        def release(self):
            pass

    src = VideoFileSource(shared_data / CLIP, read_ahead=2)
    src._cap.release()
    src._cap = BrokenCapture()
    it = iter(src)
    next(it)  # the first frame was read when the file was opened
    with pytest.raises(OSError, match="disk gone"):
        next(it)
    src.close()
    assert not _decode_threads()


@pytest.mark.model
def test_read_ahead_must_not_be_negative(shared_data):
    with pytest.raises(ValueError, match="read_ahead"):
        VideoFileSource(shared_data / CLIP, read_ahead=-1)


@pytest.mark.model
def test_concurrent_tracker_equals_sequential(model_dir, shared_data):
    from coach.vision.pose import PoseTracker

    # Frames 55..84: the person sits there until frame 71, then the cartoon starts, so the
    # face started ahead on the frame the person leaves is dropped; a census every 10 frames.
    with VideoFileSource(shared_data / CLIP) as src:
        frames = [item for i, item in enumerate(src) if 55 <= i < 85]

    def track(concurrent: bool):
        with PoseTracker(model_dir / "pose_landmarker_full.task", model_dir / "face_landmarker.task",
                         census_every=10, concurrent=concurrent) as tracker:
            out = [tracker.process(t_ms, frame) for t_ms, frame in frames]
            return out, tracker.started_ahead, tracker.settings

    sequential, seq_ahead, seq_settings = track(False)
    parallel, par_ahead, par_settings = track(True)
    assert (seq_settings["concurrent"], par_settings["concurrent"]) == (False, True)
    # Face and census really ran beside the pose graph: every face frame after the first
    # (16 with a person) and the census frames.
    assert seq_ahead == 0 and par_ahead >= 18
    with_person = [f for f in sequential if f.landmarks is not None]
    assert 10 <= len(with_person) < len(sequential)  # the person is there, then leaves
    assert sum(f.face_matrix is not None for f in sequential) >= 10
    for a, b in zip(sequential, parallel):
        assert (a.t_ms, a.people) == (b.t_ms, b.people)
        for name in ("landmarks", "world_landmarks", "face_matrix"):
            x, y = getattr(a, name), getattr(b, name)
            assert (x is None) == (y is None), (a.t_ms, name)
            if x is not None:
                np.testing.assert_array_equal(x, y, err_msg=f"t_ms={a.t_ms} {name}")


@pytest.mark.model
def test_run_face_every_keeps_mirror_symmetry(model_dir, shared_data):
    """`coach run` reuses the face matrix on every 2nd frame: the fused angles of the person
    part of the real clip still pass the mirror test (yaw and roll negate, pitch unchanged)."""
    import cv2

    from coach.angles.headpose import head_angles
    from coach.app.run import RUN_FACE_EVERY
    from coach.vision.pose import PoseTracker

    assert RUN_FACE_EVERY >= 2  # otherwise this test checks nothing new
    with VideoFileSource(shared_data / CLIP) as src:
        person = [item for i, item in enumerate(src) if i < 72]

    def angles(flip: bool) -> np.ndarray:
        with PoseTracker(model_dir / "pose_landmarker_full.task", model_dir / "face_landmarker.task",
                         face_every=RUN_FACE_EVERY) as tracker:
            frames = [tracker.process(t, cv2.flip(im, 1) if flip else im) for t, im in person]
        # Every frame carries a face matrix, half of them reused from the frame before.
        assert all(f.face_matrix is not None for f in frames)
        rows = [head_angles(f, use_face=True) for f in frames]
        assert all(a.ok for a in rows)
        return np.array([(a.yaw_deg, a.roll_deg, a.pitch_deg) for a in rows])

    a, b = angles(False), angles(True)
    errors = (np.mean(np.abs(a[:, 0] + b[:, 0])), np.mean(np.abs(a[:, 1] + b[:, 1])),
              np.mean(np.abs(a[:, 2] - b[:, 2])))
    print(f"\nface every {RUN_FACE_EVERY}: mirror yaw {errors[0]:.2f} roll {errors[1]:.2f} "
          f"pitch {errors[2]:.2f} deg")
    assert max(errors) <= 1.5, errors
