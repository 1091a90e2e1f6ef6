"""The window fits the screen: a portrait phone video must not make a window taller than a laptop."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from coach.ui.display import SCREEN_SHARE, window_size


@pytest.mark.parametrize("image, screen", [((1080, 1920), (1600, 900)), ((1920, 1080), (1366, 768)),
                                           ((640, 480), (1280, 720)), ((400, 220), (1600, 900))])
def test_the_window_fits_the_screen_keeps_the_aspect_and_never_grows(image, screen):
    w, h = window_size(*image, screen)
    assert w <= max(image[0], 1) and h <= image[1]  # never scaled up
    assert w <= SCREEN_SHARE * screen[0] + 1 and h <= SCREEN_SHARE * screen[1] + 1
    assert abs(w / h - image[0] / image[1]) < 0.01
    if image[0] <= SCREEN_SHARE * screen[0] and image[1] <= SCREEN_SHARE * screen[1]:
        assert (w, h) == image  # a frame that fits is shown 1:1


def test_without_a_known_screen_the_window_is_the_image_size():
    assert window_size(1080, 1920, None) == (1080, 1920)


def test_the_screen_size_is_read_from_the_x_server(display):
    code = "from coach.ui.display import screen_size_px; print(screen_size_px())"
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, DISPLAY=display),
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "(1600, 900)", out.stderr
