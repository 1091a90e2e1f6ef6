"""Render the extra ground-truth sets for a MakeHuman character (see render_heads.py for the
scene, the camera and the angle conventions, which are unchanged):

    bvenv/bin/python render_sets.py --asset assets/male1.fbx --set profile --out out/male1_profile
    sets: profile, retraction, arms, circle, trunk, endrange, finger (--only "substring;..." of file names)
    --character SET/truth.json copies that set's character recipe into the new truth.json

What is new compared with render_heads.py:
- arms: a plausible "side" pose (upper arms hanging at the sides, elbows a little bent) is the
  default here; render_heads.py's --arms side pose (kept there unchanged) puts the upper arms
  inside the chest. Also "behind_head" (hand on the back of the head) and "down_long" (arm straight
  down along the body, shoulder lowered, wrist bent so the palm faces down). Two-bone IK, done in
  armature space, the elbow bending in its own hinge plane.
- chin tuck: the head translated straight back relative to the shoulders with its orientation
  kept: neck01 and neck02 are extended by a/2 each, neck03 and head flexed by a/2 each (a = the
  tuck angle), so the net rotation is the identity; a is solved by bisection so that the measured
  retraction equals the requested one. Negative = protraction (poking chin).
- retraction_cm (stored for every render): minus the displacement, along the torso's forward axis,
  of the midpoint between the two ears, posed versus the unposed (neutral) head, in cm, in the
  torso frame. The ears are the 12 most lateral vertices on each side of the body mesh's head
  (vertex group 'head', weight >= 0.99), carried rigidly by the posed head bone.
  head_offset_cm = that displacement as [left, up, forward]; retraction_headjoint_cm = the same
  for the head bone's head (the skull-neck joint).
- trunk: the whole character (armature object) turned about the vertical axis through the pelvis;
  torso_yaw > 0 = the torso turned to the person's right; yaw/roll/pitch stay relative to the torso.
- circle: 36 frames, yaw = 35 sin(th), pitch = -30 cos(th), th = 0, 10, ... 350 deg.
- endrange: pitch 0, +50, +60 (chin down), -50, -60, -70 (head back), yaw 0 roll 0, arms side.
- finger: the chin-tuck check "finger on the chin": arm pose chin_finger (code cf, right hand): the
  index fingertip on the front of the chin, index pointing up and leaning back toward the face,
  palm toward the neck, the other fingers curled, elbow down and a little forward (hand frame
  solved first, then two-bone IK for the wrist, then the wrist rotated onto the hand frame, part of
  its twist given to lowerarm02). The fingertip target's distance in front of the chin is
  calibrated on the neutral head so that the mesh gap is just >= 0. Cases: neutral with the finger
  on the chin; tucks of 2 and 3.5 cm with the hand kept in the torso frame (a gap opens); a 2 cm
  tuck with the hand carried with the head (`_follow`, wrong); the neutral with arms side.
  Extra truth per row: finger_gap_cm (signed, from the posed mesh: smallest fingertip-vertex to
  chin-patch-vertex distance, negative when a fingertip vertex is behind the chin surface),
  finger_follows_head, fingertip_chin_cm (index fingertip bone tail minus the posed chin point,
  torso axes [left, up, forward], cm), chin_offset_cm (chin point moved, same axes),
  fingertip_px / chin_px (image positions), fingertip_ik_err_cm, wrist_twist_deg.
"""
import argparse, json, math, os, sys, time
import numpy as np
import bpy
from mathutils import Matrix, Vector

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render_heads as rh

T = rh.T  # columns: torso left, up, forward in armature axes
NECK = ["neck01", "neck02", "neck03", "head"]
TUCK_SHARE = [-0.5, -0.5, 0.5, 0.5]  # extension (-) of the lower neck, flexion (+) of the upper neck
# behind_head: wrist and finger targets on the back of the head (fractions of the head half-width
# sideways, cm back/up), carried with the head; the elbow bends toward POLE (lateral, forward, up)
WRIST_X, WRIST_Y, WRIST_Z = float(os.environ.get("BH_WX", 0.95)), float(os.environ.get("BH_WY", -3.0)), float(os.environ.get("BH_WZ", -3.0))
FING_X, FING_Y, FING_Z = float(os.environ.get("BH_FX", 0.3)), float(os.environ.get("BH_FY", 0.5)), float(os.environ.get("BH_FZ", 3.5))
POLE = [float(v) for v in os.environ.get("BH_POLE", "1.0,0.35,0.15").split(",")]
HIDE_ERODE = int(os.environ.get("HIDE_ERODE", 1))
ARM_CODE = {"side": "sd", "behind_head": "bh", "down_long": "dl", "legacy": "lg", "chin_finger": "cf"}
# chin_finger: the index fingertip on the front of the chin, the index finger pointing up and
# leaning back toward the face by CF_LEAN deg, palm toward the neck, the other fingers curled;
# the fingertip CF_UP cm above the chin point (the pad, not the very tip, touches); the elbow
# bends toward CF_POLE (lateral, forward, up)
CF_LEAN = float(os.environ.get("CF_LEAN", 25.0))
CF_UP = float(os.environ.get("CF_UP", 1.0))
CF_POLE = [float(v) for v in os.environ.get("CF_POLE", "0.35,0.45,-1.0").split(",")]
CF_GAP = float(os.environ.get("CF_GAP", 0.0))  # signed fingertip-chin gap (cm) aimed at when touching
# flexion (deg) of the curled fingers' three joints (middle, ring, little) and of the thumb
CF_CURL = [float(v) for v in os.environ.get("CF_CURL", "70,90,55").split(",")]
CF_THUMB = [float(v) for v in os.environ.get("CF_THUMB", "10,25,25").split(",")]


def torso_rot(yaw=0.0, roll=0.0, pitch=0.0):
    """A rotation given in the coach's torso convention, as a 3x3 in armature axes."""
    return T @ rh.head_rotation(yaw, roll, pitch) @ T.T


def rot_axis(axis, ang_rad):
    a = np.asarray(axis, float); a = a / np.linalg.norm(a)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + math.sin(ang_rad) * k + (1 - math.cos(ang_rad)) * k @ k


def unit(v):
    v = np.asarray(v, float); return v / np.linalg.norm(v)


def frame(u, h):
    u = unit(u); h = unit(h - np.dot(h, u) * u)
    return np.column_stack([u, h, np.cross(u, h)])


class Rig:
    def __init__(self, arm):
        self.arm = arm
        self.rest = {b.name: np.array(b.matrix_local) for b in arm.data.bones}

    def update(self):
        bpy.context.view_layer.update()

    def reset(self):
        for pb in self.arm.pose.bones:
            pb.rotation_mode = "QUATERNION"
            pb.rotation_quaternion = (1, 0, 0, 0)
            pb.location = (0, 0, 0)
        self.update()

    def delta(self, name):
        """Posed-from-rest transform of a bone (4x4, armature space)."""
        return np.array(self.arm.pose.bones[name].matrix) @ np.linalg.inv(self.rest[name])

    def pos(self, name):
        return np.array(self.arm.pose.bones[name].head)

    def rest_pos(self, name):
        return self.rest[name][:3, 3].copy()

    def set_extra(self, name, r_extra):
        """Rotate a bone (and its children) by r_extra (3x3, armature axes) about its posed head,
        on top of whatever its parents do. The bone's own rotation is replaced."""
        parent = self.arm.data.bones[name].parent
        dp = self.delta(parent.name)[:3, :3] if parent else np.eye(3)
        r3 = dp.T @ r_extra @ dp
        rh.set_armature_space_rotation(self.arm, name, Matrix(r3.tolist()))
        self.update()

    def set_local(self, name, r3):
        rh.set_armature_space_rotation(self.arm, name, Matrix(np.asarray(r3).tolist()))


# ---------------------------------------------------------------------------------- arms
def pose_arm(rig, side, kind, head_points):
    """side 'L'/'R'; kind side|behind_head|down_long|legacy. head_points: dict of rest points (armature
    space) on the head, posed with the head bone (needed for behind_head)."""
    s = 1.0 if side == "L" else -1.0
    lat = np.array([s, 0.0, 0.0]); up = np.array([0.0, 0.0, 1.0]); fwd = np.array([0.0, -1.0, 0.0])
    if kind == "legacy":  # render_heads.py's --arms side
        rig.set_local("upperarm01." + side, rot_axis([0, 1, 0], math.radians(68.0 * s)))
        rig.set_local("lowerarm01." + side, rot_axis([1, 0, 0], math.radians(-20.0)))
        rig.update(); return
    ua, la, wr, cl = "upperarm01." + side, "lowerarm01." + side, "wrist." + side, "clavicle." + side
    if kind == "chin_finger":
        pose_chin_finger(rig, side, head_points["chin_tip_" + side]); return
    # clavicle: elevate for an arm raised high, depress for an arm pushed down
    clav = {"side": 0.0, "behind_head": 14.0, "down_long": -10.0}[kind]
    if clav:
        d = unit(rig.rest_pos("shoulder01." + side) - rig.rest_pos(cl))
        rig.set_extra(cl, rot_axis(np.cross(d, up), math.radians(clav)))
    S = rig.pos(ua); E0 = rig.pos(la); W0 = rig.pos(wr)
    L1 = np.linalg.norm(E0 - S); L2 = np.linalg.norm(W0 - E0)
    u_c = unit(E0 - S); f_c = unit(W0 - E0); h_c = unit(np.cross(u_c, f_c))
    if kind == "side":
        u = unit(-up + 0.17 * lat + 0.12 * fwd)
        fp = unit(fwd - np.dot(fwd, u) * u)
        f = unit(math.cos(math.radians(35)) * u + math.sin(math.radians(35)) * fp)
    elif kind == "down_long":
        u = unit(-up + 0.13 * lat + 0.02 * fwd)
        fp = unit(fwd - np.dot(fwd, u) * u)
        f = unit(math.cos(math.radians(3)) * u + math.sin(math.radians(3)) * fp)
    elif kind == "behind_head":
        W = head_points["wrist_" + side]
        pole = unit(lat * POLE[0] + fwd * POLE[1] + up * POLE[2])
        dvec = W - S; d = np.linalg.norm(dvec); dh = dvec / d
        d = min(d, 0.999 * (L1 + L2))
        cosa = np.clip((L1 * L1 + d * d - L2 * L2) / (2 * L1 * d), -1, 1)
        n = unit(pole - np.dot(pole, dh) * dh)
        E = S + L1 * (cosa * dh + math.sqrt(1 - cosa * cosa) * n)
        u = unit(E - S); f = unit(W - E)
    else:
        raise ValueError(kind)
    h = np.cross(u, f)
    if np.linalg.norm(h) < 1e-3:
        h = np.cross(u, fwd)
    # hinge axis of the rest elbow (u_c x f_c) has the same sense as u x f for a flexed elbow
    r_up = frame(u, h) @ frame(u_c, h_c).T
    rig.set_extra(ua, r_up)
    # forearm: rotate about the (new) hinge axis onto f
    fc2 = unit(rig.pos(wr) - rig.pos(la))
    hh = unit(np.cross(u, f)) if np.linalg.norm(np.cross(u, f)) > 1e-3 else unit(r_up @ h_c)
    ang = math.atan2(np.dot(np.cross(fc2, f), hh), np.dot(fc2, f))
    rig.set_extra(la, rot_axis(hh, ang))
    # hand
    fa = unit(rig.pos(wr) - rig.pos(la))
    if kind == "down_long":
        # wrist bent back ~80 deg: palm toward the floor, fingers pointing out to the side
        hand_dir = unit(rig.pos("finger3-1." + side) - rig.pos(wr))
        tgt = unit(lat - 0.1 * up)
        ax = np.cross(hand_dir, tgt)
        rig.set_extra(wr, rot_axis(ax, math.asin(min(1.0, np.linalg.norm(ax)))))
    elif kind == "behind_head":
        # flex the wrist so that the fingers follow the back of the head toward the midline
        hand_dir = unit(rig.pos("finger3-1." + side) - rig.pos(wr))
        tgt = unit(head_points["fingers_" + side] - rig.pos(wr))
        ax = np.cross(hand_dir, tgt)
        if np.linalg.norm(ax) > 1e-4:
            rig.set_extra(wr, rot_axis(ax, math.atan2(np.linalg.norm(ax), np.dot(hand_dir, tgt))))
    rig.update()
    if os.environ.get("ARM_DEBUG") and kind == "behind_head":
        print("IK", side, "S", S.round(1), "E want", (S + L1 * u).round(1), "got", rig.pos(la).round(1), "W want", head_points["wrist_" + side].round(1), "got", rig.pos(wr).round(1), flush=True)


def palm_normal_rest(rig, side):
    """Unit normal of the palm (pointing out of the palm) in the rest pose, armature axes, and the
    index finger direction. The sign is taken from the rest curvature of the middle finger (fingers
    curl toward the palm)."""
    b = lambda n, end="head": np.array(getattr(rig.arm.data.bones[n + "." + side], end + "_local"))
    d = unit(b("finger2-3", "tail") - b("finger2-1"))
    across = b("finger2-1") - b("finger5-1")
    n = unit(np.cross(d, across))
    s1 = unit(b("finger3-1", "tail") - b("finger3-1")); s3 = unit(b("finger3-3", "tail") - b("finger3-3"))
    if np.dot(s3 - s1, n) < 0:
        n = -n
    return unit(n - np.dot(n, d) * d), d


def curl_fingers(rig, side, n_palm):
    """Flex the middle, ring and little fingers into a loose fist and the thumb a little (each joint
    about the axis finger x palm-normal, so the finger moves toward the palm). Done in the rest pose
    of the hand: the curls are carried along by the wrist afterwards."""
    for fing, angs in (("finger3", CF_CURL), ("finger4", CF_CURL), ("finger5", CF_CURL), ("finger1", CF_THUMB)):
        n = np.array(n_palm)
        for j, ang in zip((1, 2, 3), angs):
            name = "%s-%d.%s" % (fing, j, side)
            pb = rig.arm.pose.bones[name]
            f = unit(np.array(pb.tail) - np.array(pb.head))
            r = rot_axis(np.cross(f, n), math.radians(ang))
            rig.set_extra(name, r)
            n = r @ n


def two_bone_ik(rig, side, W, pole):
    """Upper arm and forearm so that the wrist reaches W (armature space), the elbow bending toward
    pole; the same construction as behind_head."""
    ua, la, wr = "upperarm01." + side, "lowerarm01." + side, "wrist." + side
    S = rig.pos(ua); E0 = rig.pos(la); W0 = rig.pos(wr)
    L1 = np.linalg.norm(E0 - S); L2 = np.linalg.norm(W0 - E0)
    u_c = unit(E0 - S); f_c = unit(W0 - E0); h_c = unit(np.cross(u_c, f_c))
    dvec = W - S; d = np.linalg.norm(dvec); dh = dvec / d
    d = min(d, 0.999 * (L1 + L2))
    cosa = np.clip((L1 * L1 + d * d - L2 * L2) / (2 * L1 * d), -1, 1)
    n = unit(pole - np.dot(pole, dh) * dh)
    E = S + L1 * (cosa * dh + math.sqrt(1 - cosa * cosa) * n)
    u = unit(E - S); f = unit(W - E)
    h = np.cross(u, f)
    r_up = frame(u, h) @ frame(u_c, h_c).T
    rig.set_extra(ua, r_up)
    fc2 = unit(rig.pos(wr) - rig.pos(la))
    hh = unit(np.cross(u, f))
    ang = math.atan2(np.dot(np.cross(fc2, f), hh), np.dot(fc2, f))
    rig.set_extra(la, rot_axis(hh, ang))


def pose_chin_finger(rig, side, tip):
    """chin_finger: the index fingertip (tail of finger2-3) at `tip` (armature space), the index
    finger pointing up and leaning back toward the face by CF_LEAN deg, the palm facing back (toward
    the neck), the other fingers curled; the elbow down and a little forward and out. The hand frame
    is solved first (wrist position from the desired fingertip and hand orientation), then two-bone
    IK brings the wrist there, then the wrist is rotated onto the desired hand frame. Part of the
    wrist's twist about the forearm is given to the forearm twist bone (lowerarm02) to avoid a
    candy-wrapper wrist."""
    s = 1.0 if side == "L" else -1.0
    lat = np.array([s, 0.0, 0.0]); up = np.array([0.0, 0.0, 1.0]); fwd = np.array([0.0, -1.0, 0.0])
    wr = "wrist." + side
    n_rest, d_rest = palm_normal_rest(rig, side)
    curl_fingers(rig, side, n_rest)
    F_rest = frame(d_rest, n_rest)
    tip_rest = np.array(rig.arm.pose.bones["finger2-3." + side].tail)
    o = F_rest.T @ (tip_rest - rig.pos(wr))          # the fingertip in the hand frame
    lean = math.radians(CF_LEAN)
    d_des = unit(math.cos(lean) * up - math.sin(lean) * fwd)
    n_des = unit(-fwd - np.dot(-fwd, d_des) * d_des)  # palm toward the neck
    F_des = frame(d_des, n_des)
    W = tip - F_des @ o
    pole = unit(lat * CF_POLE[0] + fwd * CF_POLE[1] + up * CF_POLE[2])
    two_bone_ik(rig, side, W, pole)
    # hand orientation: split the twist about the forearm axis between lowerarm02 and the wrist
    la2 = "lowerarm02." + side
    dp = rig.delta(la2)[:3, :3]
    r_total = F_des @ F_rest.T @ dp.T                  # extra rotation the wrist needs
    axis = unit(rig.pos(wr) - rig.pos(la2))
    # swing-twist decomposition of r_total about the forearm axis
    q = Matrix(r_total.tolist()).to_quaternion()
    pr = np.dot([q.x, q.y, q.z], axis)
    tw = unit([q.w, *(pr * axis)]) if abs(q.w) + abs(pr) > 1e-9 else np.array([1.0, 0, 0, 0])
    twist_ang = 2 * math.atan2(np.dot(tw[1:], axis), tw[0])
    rig.twist_deg = math.degrees(twist_ang)
    r_tw = rot_axis(axis, 0.6 * twist_ang)
    rig.set_extra(la2, r_tw)
    dp = rig.delta(la2)[:3, :3]
    rig.set_extra(wr, F_des @ F_rest.T @ dp.T)
    rig.update()
    got = np.array(rig.arm.pose.bones["finger2-3." + side].tail)
    rig.cf_tip_err = float(np.linalg.norm(got - tip))


def finger_chin_gap(rig, body, fing_idx, chin_idx):
    """Signed gap (cm) between the right index fingertip and the chin, from the posed (evaluated)
    body mesh: the smallest distance between a fingertip vertex (vertex group finger2-3.R) and a
    chin-patch vertex, negative when the fingertip vertex lies behind the chin surface (against the
    nearest chin vertex's normal). Also the fingertip-vertex/chin-vertex pair, armature space."""
    dg = bpy.context.evaluated_depsgraph_get()
    ob = body.evaluated_get(dg)
    me = ob.to_mesh()
    n = len(me.vertices)
    co = np.empty(n * 3); me.vertices.foreach_get("co", co); co = co.reshape(-1, 3)
    nr = np.empty(n * 3); me.vertices.foreach_get("normal", nr); nr = nr.reshape(-1, 3)
    ob.to_mesh_clear()
    m = np.linalg.inv(np.array(rig.arm.matrix_world)) @ np.array(body.matrix_world)
    co = (m[:3, :3] @ co.T).T + m[:3, 3]
    nr = (m[:3, :3] @ nr.T).T
    F = co[fing_idx]; C = co[chin_idx]; N = nr[chin_idx]
    dd = np.linalg.norm(F[:, None] - C[None], axis=2)
    i, j = np.unravel_index(np.argmin(dd), dd.shape)
    # for the sign: each fingertip vertex against its nearest chin vertex's normal
    jn = np.argmin(dd, axis=1)
    sd = np.einsum("ij,ij->i", F - C[jn], N[jn] / np.linalg.norm(N[jn], axis=1, keepdims=True))
    inside = sd < 0
    gap = float(dd[i, j])
    if inside.any():
        gap = float(sd.min())
    return gap * rig.unit_cm, F[i], C[j]


# ---------------------------------------------------------------------------------- head
def pose_neck(rig, yaw, roll, pitch, tuck_deg):
    q = torso_rot(yaw, roll, pitch)
    from mathutils import Quaternion
    qq = Matrix(q.tolist()).to_quaternion()
    for name, share, tshare in zip(NECK, rh.NECK_SHARE, TUCK_SHARE):
        qi = np.array(Quaternion().slerp(qq, share).to_matrix())
        ti = torso_rot(0, 0, tuck_deg * tshare)
        rig.set_local(name, qi @ ti)
    rig.update()
    return q


def measure(rig, pts, q):
    """Truth quantities from the posed bones: achieved head rotation relative to the torso (spine01),
    ear-midpoint and head-joint offsets in the torso frame."""
    dt = rig.delta("spine01")
    dh = rig.delta("head")
    rel = np.linalg.inv(dt) @ dh  # head relative to the torso, 4x4
    err = float(np.degrees(np.arccos(np.clip((np.trace(rel[:3, :3].T @ q) - 1) / 2, -1, 1))))
    out = {}
    for key, p in (("ear_mid", pts["ear_mid"]), ("head_joint", pts["head_joint"])):
        ph = rel @ np.append(p, 1.0)
        off = T.T @ (ph[:3] - p) * rig.unit_cm
        out[key] = off
    return err, out


def solve_tuck(rig, yaw, roll, pitch, target_cm, pts):
    def f(a):
        q = pose_neck(rig, yaw, roll, pitch, a)
        return -measure(rig, pts, q)[1]["ear_mid"][2]
    lo, hi = -60.0, 60.0
    flo, fhi = f(lo) - target_cm, f(hi) - target_cm
    if flo * fhi > 0:
        raise RuntimeError("retraction %.2f cm not reachable" % target_cm)
    for _ in range(60):
        mid = 0.5 * (lo + hi); fm = f(mid) - target_cm
        if abs(fm) < 1e-5:
            break
        if (fm > 0) == (fhi > 0):
            hi, fhi = mid, fm
        else:
            lo, flo = mid, fm
    return mid


# ---------------------------------------------------------------------------------- cases
def case(yaw, roll=0, pitch=0, tuck=None, arms=("side", "side"), torso=0.0, tag=True, **extra):
    return dict(yaw=yaw, roll=roll, pitch=pitch, tuck_cm=tuck, arms=arms, torso=torso, **extra)


def cases(kind):
    if kind == "profile":
        return [case(0)] + [case(y) for y in (-90, -85, 85, 90)] + [case(y, 0, 20) for y in (-75, -60, 60, 75)]
    if kind == "retraction":
        return [case(0, 0, 0, t) for t in (0.0, 1.0, 2.0, 3.0, 4.0)] + \
               [case(0, 0, -20, 0.5), case(0, 0, 20, 0.5), case(0, 0, 0, -2.0)]
    if kind == "arms":
        return [case(45, 0, 25, arms=("behind_head", "side")), case(-45, 0, 25, arms=("side", "behind_head")),
                case(0, 35, 0, arms=("side", "down_long")), case(0, -35, 0, arms=("down_long", "side")),
                case(45, 0, 25), case(-45, 0, 25), case(0, 35, 0), case(0, -35, 0),
                # wrong side: left hand behind the head while turning right; same-side arm pushed down
                case(45, 0, 25, arms=("side", "behind_head")), case(0, 35, 0, arms=("down_long", "side"))]
    if kind == "circle":
        out = []
        for i in range(36):
            th = math.radians(10 * i)
            out.append(case(35 * math.sin(th), 0, -30 * math.cos(th), frame=i, theta_deg=10 * i))
        return out
    if kind == "trunk":
        return [case(0), case(-20, torso=20), case(20, torso=-20), case(0, torso=20), case(0, torso=-20)]
    if kind == "finger":
        # chin tuck with a finger on the chin: the hand stays (a gap opens) or wrongly follows
        cf = ("chin_finger", "side")
        return [case(0, 0, 0, 0.0, arms=cf), case(0, 0, 0, 2.0, arms=cf), case(0, 0, 0, 3.5, arms=cf),
                case(0, 0, 0, 2.0, arms=cf, follows=True), case(0, 0, 0, 0.0)]
    if kind == "endrange":
        # end-range flexion (chin down) and extension (head back), yaw 0 roll 0, plus the neutral
        return [case(0, 0, p) for p in (0, 50, 60, -50, -60, -70)]
    raise ValueError(kind)


def file_name(c, kind):
    y, r, p = (int(round(c[k])) for k in ("yaw", "roll", "pitch"))
    name = f"y{y:+04d}_r{r:+04d}_p{p:+04d}"
    if c.get("tuck_cm") is not None:
        name += f"_t{int(round(c['tuck_cm'] * 10)):+04d}"
    if kind in ("arms", "finger"):
        name += "_arms-%s-%s" % (ARM_CODE[c["arms"][0]], ARM_CODE[c["arms"][1]])
    if c.get("follows"):
        name += "_follow"
    if c.get("torso"):
        name += f"_torso{int(round(c['torso'])):+04d}"
    if "frame" in c:
        name += f"_f{c['frame']:03d}"
    return name + ".png"


# ---------------------------------------------------------------------------------- setup
def head_points(arm, rig):
    """Rest points on the head in armature space: the ear midpoint, the head joint, and the
    hand targets on the back of the head."""
    inv = np.linalg.inv(np.array(arm.matrix_world))
    body = max((o for o in bpy.data.objects if o.type == "MESH" and o.vertex_groups.get("head")),
               key=lambda o: len(o.data.vertices))
    gi = body.vertex_groups["head"].index
    mw = np.array(body.matrix_world)
    co, wt = [], []
    for v in body.data.vertices:
        w = [g.weight for g in v.groups if g.group == gi]
        if w and w[0] >= 0.5:
            co.append(v.co[:]); wt.append(w[0])
    wt = np.array(wt)
    allco = (inv @ mw @ np.c_[np.array(co), np.ones(len(co))].T).T[:, :3]  # armature space
    co = allco[wt >= 0.99]  # rigid with the head bone
    left = co[np.argsort(-co[:, 0])[:12]].mean(0)
    right = co[np.argsort(co[:, 0])[:12]].mean(0)
    ear_mid = 0.5 * (left + right)
    hj = rig.rest_pos("head")
    # back of the head at ear height, on the midline
    sel = allco[(np.abs(allco[:, 0]) < 1.5 * rig.cm) & (np.abs(allco[:, 2] - ear_mid[2]) < 1.5 * rig.cm)]
    back = np.array([0.0, sel[:, 1].max(), ear_mid[2]])
    half_w = abs(left[0] - right[0]) / 2
    pts = dict(ear_L=left, ear_R=right, ear_mid=ear_mid, head_joint=hj, back=back)
    cm = rig.cm
    for side, sg in (("L", 1.0), ("R", -1.0)):
        # wrist behind the head, off to the hand's side; fingers across the back of the head
        pts["wrist_" + side] = back + np.array([sg * WRIST_X * half_w, WRIST_Y * cm, WRIST_Z * cm])
        pts["fingers_" + side] = back + np.array([-sg * FING_X * half_w, FING_Y * cm, FING_Z * cm])
    return pts


def chin_setup(arm, rig, pts, pad_cm):
    """The chin point (pogonion: the most forward midline point of the chin, within 2 cm above its
    lowest point), the chin patch (head vertices within 3 cm of it) and the right index fingertip
    vertices (group finger2-3.R, weight >= 0.5), on the body mesh in armature space (rest). Adds
    pts['chin'] and the fingertip target pts['chin_tip_R'|'chin_tip_L']: CF_UP cm above the chin
    point and pad_cm in front of it (the finger's half thickness: the pad touches)."""
    inv = np.linalg.inv(np.array(arm.matrix_world))
    body = max((o for o in bpy.data.objects if o.type == "MESH" and o.vertex_groups.get("head")),
               key=lambda o: len(o.data.vertices))
    m = inv @ np.array(body.matrix_world)
    n = len(body.data.vertices)
    co = np.empty(n * 3); body.data.vertices.foreach_get("co", co); co = co.reshape(-1, 3)
    co = (m[:3, :3] @ co.T).T + m[:3, 3]
    def group(name, wmin):
        gi = body.vertex_groups[name].index
        return np.array([v.index for v in body.data.vertices if any(g.group == gi and g.weight >= wmin for g in v.groups)])
    head = group("head", 0.5)
    hc = co[head]; cm = rig.cm
    ear = pts["ear_mid"]
    mid = hc[(np.abs(hc[:, 0]) < 0.6 * cm) & (hc[:, 1] < ear[1] - 6 * cm)]
    menton_z = mid[:, 2].min()
    low = mid[mid[:, 2] < menton_z + 2.0 * cm]
    chin = low[np.argmin(low[:, 1])]  # forward = -y
    patch = head[np.linalg.norm(hc - chin, axis=1) < 3.0 * cm]
    fing = {sd: group("finger2-3." + sd, 0.5) for sd in ("R", "L")}
    pts["chin"] = chin
    for sd in ("R", "L"):
        pts["chin_tip_" + sd] = chin + np.array([0.0, -pad_cm * cm, CF_UP * cm])
    return body, patch, fing


def hide_body_under_clothes(asset):
    """Delete the body vertices that the clothes' delete_verts name (<asset>_hide.json, written by
    make_human.py for the newer characters), after checking that the vertex order matches."""
    path = os.path.splitext(asset)[0] + "_hide.json"
    if not os.path.exists(path):
        return 0
    hide = json.load(open(path))
    body = max((o for o in bpy.data.objects if o.type == "MESH" and o.vertex_groups.get("head")),
               key=lambda o: len(o.data.vertices))
    ref = np.array(hide["check_coords"]); n = len(ref)
    got = np.array([body.data.vertices[i].co[:] for i in range(n)])
    dr = np.linalg.norm(ref[:, None] - ref[None], axis=2); dg = np.linalg.norm(got[:, None] - got[None], axis=2)
    k = np.median(dg[dr > 0] / dr[dr > 0])
    if np.abs(dg - k * dr).max() > 1e-3 * k * dr.max():
        print("WARNING: body vertex order differs from the base mesh; nothing hidden", flush=True)
        return 0
    # keep HIDE_ERODE rings of body vertices along the edge of the hidden region (necklines, sleeve
    # ends: after morphing, the clothes' holes do not always sit exactly under the cloth)
    nv = len(body.data.vertices)
    mask = np.zeros(nv, bool); mask[[i for i in hide["vertices"] if i < nv]] = True
    ed = np.array([e.vertices[:] for e in body.data.edges])
    for _ in range(HIDE_ERODE):
        bad = np.zeros(nv, bool)
        out_a = ~mask[ed[:, 0]]; out_b = ~mask[ed[:, 1]]
        bad[ed[out_a, 1]] = True; bad[ed[out_b, 0]] = True
        mask &= ~bad
    import bmesh
    bm = bmesh.new(); bm.from_mesh(body.data); bm.verts.ensure_lookup_table()
    bmesh.ops.delete(bm, geom=[bm.verts[i] for i in np.flatnonzero(mask)], context="VERTS")
    bm.to_mesh(body.data); bm.free(); body.data.update()
    print("hid", int(mask.sum()), "of", len(hide["vertices"]), "body vertices under the clothes", flush=True)
    return int(mask.sum())


def posed_points(rig, pts):
    dh = rig.delta("head")
    return {k: (dh @ np.append(v, 1.0))[:3] for k, v in pts.items()}


def main():
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    ap = argparse.ArgumentParser()
    ap.add_argument("--asset", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--set", default="profile", choices=["profile", "retraction", "arms", "circle", "trunk", "endrange", "finger"])
    ap.add_argument("--character", default="", help="a truth.json (or recipe JSON) whose 'character' recipe is copied into this set's truth.json")
    ap.add_argument("--engine", default="cycles")
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--res", default="640x480")
    ap.add_argument("--hfov", type=float, default=60.0)
    ap.add_argument("--dist", type=float, default=0.7)
    ap.add_argument("--drop", type=float, default=0.10)
    ap.add_argument("--texlimit", default="1024")
    ap.add_argument("--light", type=float, default=1.0)
    ap.add_argument("--arms", default="side", choices=["side", "legacy"], help="arms for poses without an arm tag")
    ap.add_argument("--limit", type=int, default=0, help="render only the first N cases (tests)")
    ap.add_argument("--only", default="", help="render only cases whose file name contains one of these ;-separated strings")
    ap.add_argument("--dry", action="store_true", help="pose and write truth, do not render")
    ap.add_argument("--compression", type=int, default=90)
    ap.add_argument("--view", default="", choices=["", "far", "side", "back", "top"], help="debug camera (not for data)")
    a = ap.parse_args(argv)
    res = tuple(int(v) for v in a.res.split("x"))
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    arm, info = rh.setup_scene(a.asset, res, a.engine, a.samples, a.hfov, a.dist, a.drop, texlimit=a.texlimit, light=a.light, arms="side")
    bpy.context.scene.render.image_settings.compression = a.compression
    if a.view:
        cam = bpy.context.scene.camera; ez, ey = info["eye_z"], info["eye_y"]
        cam.location, cam.rotation_euler = {
            "far": ((0, ey - 2.4, ez - 0.45), (math.radians(90), 0, 0)),
            "side": ((-0.75, ey + 0.1, ez - 0.1), (math.radians(90), 0, math.radians(-90))),
            "back": ((0, ey + 1.0, ez - 0.15), (math.radians(90), 0, math.radians(180))),
            "top": ((0, ey - 1.0, ez + 0.9), (math.radians(45), 0, 0))}[a.view]
    hide_body_under_clothes(a.asset)
    rig = Rig(arm)
    scale = arm.matrix_world.to_scale()[0]     # metres per armature unit
    rig.cm = 0.01 / scale                      # armature units per cm
    rig.unit_cm = scale * 100.0                # cm per armature unit
    rig.reset()
    pts = head_points(arm, rig)
    print("head points (world m):", {k: [round(float(x), 3) for x in (np.array(arm.matrix_world) @ np.append(v, 1))[:3]] for k, v in pts.items()}, flush=True)
    rest_world = np.array(arm.matrix_world)
    pivot = np.array([0.0, 0.0, 0.0])  # the vertical axis through the pelvis (root), world
    if a.set == "finger":
        # calibrate the fingertip target's distance in front of the chin on the neutral head so
        # that the pad just touches (signed mesh gap = CF_GAP); the same target serves every case
        # bisection on the pad offset: the smallest one whose signed gap is >= CF_GAP (the mesh gap
        # jumps with the vertex spacing, so aim at "just not penetrating")
        lo, hi = 0.0, 2.0
        for it in range(8):
            pad = 0.5 * (lo + hi)
            body, patch, fing = chin_setup(arm, rig, pts, pad)
            rig.reset(); pose_neck(rig, 0, 0, 0, 0.0)
            pose_arm(rig, "R", "chin_finger", pts)
            gap, _, _ = finger_chin_gap(rig, body, fing["R"], patch)
            print("calibrate pad %.3f cm: gap %.3f cm, tip err %.4f, twist %.1f deg" % (pad, gap, rig.cf_tip_err, rig.twist_deg), flush=True)
            if gap >= CF_GAP:
                hi = pad
            else:
                lo = pad
        pad = hi
        body, patch, fing = chin_setup(arm, rig, pts, pad)
        rig.reset()
    todo = cases(a.set)
    if a.limit:
        todo = todo[:a.limit]
    if a.only:
        todo = [c for c in todo if any(k in file_name(c, a.set) for k in a.only.split(";"))]
    rows = []
    for c in todo:
        rig.reset()
        # trunk: turn the whole armature about the vertical axis through the pelvis
        R = np.eye(4); R[:3, :3] = torso_rot(c["torso"], 0, 0)
        Tp = np.eye(4); Tp[:3, 3] = pivot
        arm.matrix_world = Matrix((Tp @ R @ np.linalg.inv(Tp) @ rest_world).tolist())
        rig.update()
        # head and neck first (the hand behind the head follows the head)
        tuck = 0.0
        if c["tuck_cm"] is not None and abs(c["tuck_cm"]) > 0 or (c["tuck_cm"] is not None and c["pitch"] != 0):
            tuck = solve_tuck(rig, c["yaw"], c["roll"], c["pitch"], c["tuck_cm"], pts)
        q = pose_neck(rig, c["yaw"], c["roll"], c["pitch"], tuck)
        pp = posed_points(rig, pts)
        if a.set == "finger" and not c.get("follows"):
            # the hand stays where it was in the torso frame (targets on the neutral head)
            for sd in ("R", "L"):
                pp["chin_tip_" + sd] = pts["chin_tip_" + sd]
        arms = c["arms"] if a.set in ("arms", "finger") else (a.arms, a.arms) if c["arms"] == ("side", "side") else c["arms"]
        for side, kind in zip(("R", "L"), arms):
            pose_arm(rig, side, kind, pp)
        err, off = measure(rig, pts, q)
        name = file_name(c, a.set)
        row = dict(file=name, yaw=round(float(c["yaw"]), 4), roll=round(float(c["roll"]), 4), pitch=round(float(c["pitch"]), 4))
        if not a.dry:
            bpy.context.scene.render.filepath = os.path.join(a.out, name)
            t = time.time(); cpu = time.process_time()
            bpy.ops.render.render(write_still=True)
            row.update(render_s=round(time.time() - t, 2), render_cpu_s=round(time.process_time() - cpu, 2))
        row.update(pose_check_deg=round(err, 4),
                   retraction_cm=round(float(-off["ear_mid"][2]), 3),
                   head_offset_cm=[round(float(v), 3) for v in off["ear_mid"]],
                   retraction_headjoint_cm=round(float(-off["head_joint"][2]), 3),
                   tuck_deg=round(float(tuck), 4),
                   arms={"right": arms[0], "left": arms[1]},
                   torso_yaw=float(c["torso"]),
                   head_yaw_camera=round(float(c["torso"] + c["yaw"]), 4) if c["roll"] == 0 and c["pitch"] == 0 else None)
        if a.set == "finger":
            gap, fv, cv = finger_chin_gap(rig, body, fing["R"], patch)
            tipb = np.array(arm.pose.bones["finger2-3.R"].tail)
            chin_now = posed_points(rig, {"c": pts["chin"]})["c"]
            row.update(finger_gap_cm=round(gap, 3), finger_follows_head=bool(c.get("follows", False)),
                       fingertip_chin_cm=[round(float(v), 3) for v in T.T @ (tipb - chin_now) * rig.unit_cm],
                       chin_offset_cm=[round(float(v), 3) for v in T.T @ (chin_now - pts["chin"]) * rig.unit_cm])
            # image positions (pixels, x right, y down) of the index fingertip (bone tail) and the chin point
            from bpy_extras.object_utils import world_to_camera_view
            sc = bpy.context.scene; mwa = np.array(arm.matrix_world)
            for key, pnt in (("fingertip_px", tipb), ("chin_px", chin_now)):
                wv = (mwa @ np.append(pnt, 1.0))[:3]
                ndc = world_to_camera_view(sc, sc.camera, Vector(wv.tolist()))
                row[key] = [round(ndc.x * res[0], 1), round((1 - ndc.y) * res[1], 1)]
            if arms[0] == "chin_finger":
                row.update(fingertip_ik_err_cm=round(rig.cf_tip_err * rig.unit_cm, 4), wrist_twist_deg=round(rig.twist_deg, 1))
        if "frame" in c:
            row.update(frame=c["frame"], theta_deg=c["theta_deg"], t_ms=round(c["frame"] * 1000 / 12))
        rows.append(row)
        print(name, {k: row[k] for k in ("retraction_cm", "tuck_deg", "pose_check_deg", "finger_gap_cm") if k in row}, row.get("render_s"), flush=True)
    meta = dict(asset=os.path.basename(a.asset), set=a.set, engine=a.engine, samples=a.samples, sss=0.0, bounces=3,
                texlimit=a.texlimit, light=a.light, arms_default=a.arms, neck_share=rh.NECK_SHARE, tuck_share=TUCK_SHARE,
                res=res, hfov=a.hfov, dist=a.dist, drop=a.drop, setup_s=round(time.time() - t0, 1), info=info,
                ear_mid_rest_m=[round(float(v), 4) for v in (rest_world @ np.append(pts["ear_mid"], 1))[:3]],
                head_joint_rest_m=[round(float(v), 4) for v in (rest_world @ np.append(pts["head_joint"], 1))[:3]],
                renders=rows)
    if a.set == "circle":
        meta["fps"] = 12
    if a.character:
        rec = json.load(open(a.character))
        meta["character"] = rec.get("character", rec)
    meta["bpy_version"] = bpy.app.version_string
    if a.set == "finger":
        meta["chin_rest_m"] = [round(float(v), 4) for v in (rest_world @ np.append(pts["chin"], 1))[:3]]
        meta["chin_finger"] = dict(lean_deg=CF_LEAN, tip_above_chin_cm=CF_UP, pad_cm=round(pad, 3), gap_target_cm=CF_GAP,
                                   pole=CF_POLE, curl_deg=CF_CURL, thumb_deg=CF_THUMB)
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
