"""The scripted experts, looped over every registered task (marker `sim`).

Each task's expert must solve two seeded episodes (reset seed i, expert rng
default_rng(1000 + i), as in scripts/bench_experts.py, which measures the success rates);
the same rng must give the same episode and another rng another one; phase labels come from
PHASES and name what a pick-and-place and a drawer opening do.
"""

import numpy as np
import pytest

from robolearn.envs import make_env
from robolearn.errors import RobolearnError
from robolearn.experts import PHASES, make_expert, run_episode
from robolearn.tasks.suites import BASE_SUITES, get_suite

pytestmark = pytest.mark.sim
# Tasks the expert solves less reliably than the 95% target, with why (docs/bench_experts.md
# has the rates): their seeded episodes here may fail.
SHORT_OF_TARGET = {
    "pretrain/in-bread-mug-v1": "the loaf only jams into the mug's opening (pushed in)",
}
TASK_IDS = [
    pytest.param(
        tid,
        marks=pytest.mark.xfail(reason=SHORT_OF_TARGET[tid], strict=False)
        if tid in SHORT_OF_TARGET
        else (),
    )
    for tid in (t.task_id for s in BASE_SUITES for t in get_suite(s).tasks)
]
EPISODES = 2
EXPERT_SEED = 1000
PICK_PLACE = "spatial/bowl-left-of-plate-to-plate-v1"
DRAWER = "goal/open-cabinet-drawer-v1"
SNUG_DROP = "goal/in-cube-mug-v1"  # the cube is let go just over the mug's rim
KNOB = "goal/turnedon-stove-knob-v1"


@pytest.fixture
def env_of():
    envs = []

    def make(task_id):
        envs.append(make_env(task_id, obs={"object_state": True}))
        return envs[-1]

    yield make
    for env in envs:
        env.close()


def episode(env, i, expert_seed=None, **kwargs):
    rng = np.random.default_rng(EXPERT_SEED + i if expert_seed is None else expert_seed)
    return run_episode(env, make_expert(env, rng), reset_kwargs={"seed": i}, **kwargs)


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_expert_solves_task(env_of, task_id):
    env = env_of(task_id)
    for i in range(EPISODES):
        result = episode(env, i)
        assert result["success"], (
            f"{task_id} episode {i}: goal {result['goal_status']} after {result['steps']} steps"
        )
        assert set(result["phases"]) <= set(PHASES)


def test_same_rng_same_episode_other_rng_other_episode(env_of):
    env = env_of(PICK_PLACE)
    first = episode(env, 0, expert_seed=7, max_steps=60)["actions"]
    again = episode(env, 0, expert_seed=7, max_steps=60)["actions"]
    other = episode(env, 0, expert_seed=8, max_steps=60)["actions"]
    np.testing.assert_array_equal(first, again)
    assert first.shape == (60, 7) and np.all(np.abs(first) <= 1.0)
    n = min(len(first), len(other))
    assert not np.allclose(first[:n], other[:n])


@pytest.mark.parametrize(
    ("task_id", "expected"),
    [
        (PICK_PLACE, ["reach", "grasp", "lift", "transport", "place", "release"]),
        (DRAWER, ["reach", "grasp", "open", "release", "retreat"]),
    ],
)
def test_phase_labels(env_of, task_id, expected):
    env = env_of(task_id)  # the whole plan: run_episode stops once the goal has held a while
    expert = make_expert(env, np.random.default_rng(EXPERT_SEED))
    obs, _ = env.reset(seed=0)
    expert.reset()
    phases = []
    while not expert.done and len(phases) < env.unwrapped.task.horizon:
        obs = env.step(expert.act(obs))[0]
        phases.append(expert.phase)
    assert expert.done and env.unwrapped.goal_status() == [True]
    assert set(phases) <= set(PHASES)
    order = [p for k, p in enumerate(phases) if k == 0 or phases[k - 1] != p]
    firsts = [order.index(p) for p in expected]  # each phase occurs, in this order
    assert firsts == sorted(firsts), order


def test_act_before_reset_raises(env_of):
    env = env_of(PICK_PLACE)
    env.reset(seed=0)
    with pytest.raises(RobolearnError, match="reset"):
        make_expert(env, np.random.default_rng(0)).act()


def test_perturbation_off_changes_nothing_on_gives_clean_labels(env_of):
    from robolearn.experts import Perturbation

    env = env_of(PICK_PLACE)
    plain = episode(env, 0, expert_seed=7, max_steps=40)["actions"]
    zero = run_episode(
        env,
        make_expert(env, np.random.default_rng(7), Perturbation(0.0)),
        reset_kwargs={"seed": 0},
        max_steps=40,
    )["actions"]
    np.testing.assert_array_equal(plain, zero)  # std 0: the same stream, bit for bit

    expert = make_expert(env, np.random.default_rng(7), Perturbation(0.2, 0.9))
    obs, _ = env.reset(seed=0)
    expert.reset()
    executed, labels = [], []
    for _ in range(40):
        action = expert.act(obs)
        executed.append(action.copy())
        labels.append(expert.label.copy())
        obs = env.step(action)[0]
    executed, labels = np.array(executed), np.array(labels)
    noise = executed[:, :3] - labels[:, :3]
    assert np.all(np.abs(executed) <= 1.0)
    np.testing.assert_array_equal(executed[:, 3:], labels[:, 3:])  # rotation, gripper clean
    assert 0.05 < noise.std() < 0.4  # the noise is there, about its std
    # AR(1) with rho 0.9: neighbouring steps' noise is strongly correlated
    assert np.corrcoef(noise[1:, 0], noise[:-1, 0])[0, 1] > 0.5
    # the expert corrects the drift: its labels differ from the unperturbed run's actions
    assert not np.allclose(labels, plain)


@pytest.mark.parametrize("scope", ["transit", "reach"])
def test_scoped_noise_perturbs_only_its_moves(env_of, scope):
    from robolearn.experts import Perturbation
    from robolearn.experts.motion import GRIP_OPEN

    env = env_of(PICK_PLACE)
    expert = make_expert(env, np.random.default_rng(3), Perturbation(0.2, 0.9, scope))
    obs, _ = env.reset(seed=0)
    expert.reset()
    moved, inside = [], []
    while not expert.done and len(moved) < env.unwrapped.task.horizon:
        action = expert.act(obs)
        moved.append(bool(np.any(action != expert.label)))
        ctx = expert._ctx
        # transit: the expert's flights; reach: open and empty-handed, until the grasp
        inside.append(
            ctx.transit if scope == "transit" else ctx.held is None and ctx.grip == GRIP_OPEN
        )
        obs = env.step(action)[0]
    moved, inside = np.array(moved), np.array(inside)
    assert inside.any() and (~inside).any()
    assert not moved[~inside].any()  # out of scope: the clean action is executed
    assert moved[inside].mean() > 0.9


def test_drop_noise_perturbs_only_a_snug_drop_and_lets_go_lined_up(env_of, monkeypatch):
    """scope=drop: noise only while a drop into the mug is lined up and lowered (every step
    before it is the clean expert's); the expert lines up again before letting go, so the cube
    is still let go over the opening; other tasks are untouched."""
    from robolearn.experts import Perturbation, placing
    from robolearn.experts.placing import DROP_TOL
    from robolearn.experts.view import SceneView

    env = env_of(SNUG_DROP)
    view = SceneView(env.unwrapped)

    def run(perturb):
        expert = make_expert(env, np.random.default_rng(5), perturb)
        obs, info = env.reset(seed=0)
        expert.reset()
        actions, moved, inside, phases, off, held = [], [], [], [], [], 0
        for _ in range(env.unwrapped.task.horizon):
            action = expert.act(obs)
            actions.append(action)
            moved.append(bool(np.any(action != expert.label)))
            inside.append(expert._ctx.dropping)
            phases.append(expert.phase)
            rel = view.obj_pos("cube_1") - view.obj_pos("mug_1")
            off.append(float(np.linalg.norm(rel[:2])))
            obs, _, _, _, info = env.step(action)
            held = held + 1 if info["is_success"] else 0
            if held >= 10:
                break
        return np.array(actions), np.array(moved), np.array(inside), phases, np.array(off), info

    clean_actions, _, clean_inside, _, clean_off, _ = run(None)
    noisy = Perturbation(0.15, 0.9, "drop")
    actions, moved, inside, phases, off, info = run(noisy)
    assert 10 < inside.sum() < len(inside)
    first = int(np.argmax(inside))  # up to the drop: the clean expert's steps exactly
    assert first == int(np.argmax(clean_inside))
    np.testing.assert_array_equal(actions[:first], clean_actions[:first])
    assert not moved[~inside].any() and moved[inside].mean() > 0.9
    assert inside.sum() > clean_inside.sum()  # the noise moves the cube: lining up takes longer
    n = int(clean_inside.sum())
    assert np.abs(off[inside][:n] - clean_off[clean_inside]).max() > 0.002
    assert off[phases.index("release")] < DROP_TOL + 0.001  # ... and let go over it
    assert info["is_success"]
    monkeypatch.setattr(placing, "REALIGN_TRIES", 0)
    unaligned = run(noisy)[0]  # here the hand drifted in the steady wait and lined up again
    assert len(unaligned) != len(actions) or not np.array_equal(unaligned, actions)
    env2 = env_of(PICK_PLACE)  # a lowered bowl: no snug drop, the clean expert's actions
    plain = episode(env2, 0, expert_seed=7)["actions"]
    expert = make_expert(env2, np.random.default_rng(7), noisy)
    np.testing.assert_array_equal(
        plain, run_episode(env2, expert, reset_kwargs={"seed": 0})["actions"]
    )


def test_a_deliberate_miss_is_masked_and_the_expert_retries(env_of):
    from robolearn.data.collect import skills_from_phases
    from robolearn.experts import Perturbation

    env = env_of(PICK_PLACE)
    expert = make_expert(env, np.random.default_rng(5), Perturbation(miss=1.0))
    obs, info = env.reset(seed=0)
    expert.reset()
    learn, phases = [], []
    for _ in range(env.unwrapped.task.horizon):
        action = expert.act(obs)
        learn.append(expert.learn)
        phases.append(expert.phase)
        obs, _, _, _, info = env.step(action)
        if expert.done:
            break
    learn = np.array(learn)
    assert info["is_success"]  # the retry succeeds
    masked = np.flatnonzero(~learn)
    assert masked.size > 5 and np.all(np.diff(masked) == 1)  # one contiguous deliberate miss
    runs = skills_from_phases(phases)
    grasps = [(s, e) for name, s, e in runs if name == "grasp"]
    assert len(grasps) == 2  # the miss and the retry
    (s0, e0), (s1, e1) = grasps
    assert not learn[s0:e0].any() and learn[s1:e1].all()  # closing beside it is masked
    between = [name for name, s, _ in runs if e0 <= s < s1]
    assert between[:2] == ["lift", "release"] and "reach" in between  # lift, let go, retry
    assert learn[e0:].all()  # the recovery is learned from
    assert make_expert(env, np.random.default_rng(7), Perturbation(miss=0.0)).perturb is None


def test_misses_change_nothing_but_the_picks(env_of):
    from robolearn.experts import Perturbation

    # a drawer has no pick: with misses on, the same seed gives the same episode bit for bit
    # (the miss stream is spawned, so the expert's own draws stay the same)
    env = env_of(DRAWER)
    plain = episode(env, 0, expert_seed=7)["actions"]
    expert = make_expert(env, np.random.default_rng(7), Perturbation(miss=1.0))
    missing = run_episode(env, expert, reset_kwargs={"seed": 0})["actions"]
    np.testing.assert_array_equal(plain, missing)


def test_the_fingers_come_down_clear_of_a_knobs_lever_and_knob(env_of):
    # experts version 6: down beside the knob (4.5 cm from its pivot, 1.3 rad behind the
    # lever), then across to the lever at its height; version 4 came down 2 cm from the
    # lever's tip, where a policy's fingers a centimetre off landed on it
    from robolearn.experts.view import SceneView

    env = env_of(KNOB)
    view = SceneView(env.unwrapped)
    expert = make_expert(env, np.random.default_rng(3))
    obs, info = env.reset(seed=0)
    expert.reset()
    part = "stove_1.knob"
    anchor = view.hinge(part)[0]
    lever_z = float(view.handle_pos(part)[2])
    low = None  # where the hand first gets within 1.5 cm of the lever's height
    for _ in range(env.unwrapped.task.horizon):
        action = expert.act(obs)
        eef, tip = view.eef_pos, view.handle_pos(part)
        if low is None and eef[2] < lever_z + 0.015:
            low = (expert.phase, eef.copy(), tip.copy())
        obs, _, _, _, info = env.step(action)
        if info["is_success"]:
            break
    assert info["is_success"]
    phase, eef, tip = low
    assert phase == "reach"  # still on the way, not pushing yet
    assert np.linalg.norm(eef[:2] - anchor[:2]) > 0.04  # beside the knob's body
    assert np.linalg.norm(eef[:2] - tip[:2]) > 0.035  # and well clear of the lever


def test_a_knobs_push_ends_past_its_threshold_and_the_hand_rises(env_of):
    # experts version 7: the push stops once the knob's fraction (in the observation) is
    # KNOB_PAST beyond its TurnedOn threshold; version 6 pushed on against the lever it had
    # slipped off until the stuck timer fired, the hand still for 11-15 steps
    from robolearn.experts.articulation import KNOB_PAST
    from robolearn.experts.view import SceneView

    env = env_of(KNOB)
    view = SceneView(env.unwrapped)
    part = "stove_1.knob"
    _, art = view.articulation(part)
    expert = make_expert(env, np.random.default_rng(5))
    obs, info = env.reset(seed=1)
    expert.reset()
    phases, fractions, eefs = [], [], []
    for _ in range(env.unwrapped.task.horizon):
        fractions.append(view.joint_fraction(part))
        eefs.append(view.eef_pos.copy())
        action = expert.act(obs)
        phases.append(expert.phase)
        obs, _, _, _, info = env.step(action)
        if "turn" in phases and phases[-1] != "turn" and len(phases) - phases.index("turn") > 30:
            break
    turn = [i for i, p in enumerate(phases) if p == "turn"]
    assert turn and turn == list(range(turn[0], turn[-1] + 1))
    end = turn[-1] + 1  # the first step after the push
    assert phases[end] == "retreat"
    assert fractions[end] >= art.on_threshold + KNOB_PAST  # ended on the state ...
    assert fractions[end - 1] < art.on_threshold + KNOB_PAST  # ... the step it got there
    assert eefs[end + 8][2] - eefs[end][2] > 0.03  # the hand rises at once
    assert min(fractions[end:]) > art.on_threshold  # and the knob stays on
    assert info["is_success"]


def test_a_deliberate_drop_miss_jams_is_masked_and_pushed_in(env_of):
    from robolearn.data.collect import skills_from_phases
    from robolearn.experts import Perturbation
    from robolearn.experts.placing import DROP_TOL
    from robolearn.experts.view import SceneView

    env = env_of(SNUG_DROP)
    view = SceneView(env.unwrapped)

    def drop(perturb, seed):
        expert = make_expert(env, np.random.default_rng(seed), perturb)
        obs, info = env.reset(seed=0)
        expert.reset()
        learn, phases, off, sunk, held = [], [], [], [], 0
        for _ in range(env.unwrapped.task.horizon):
            action = expert.act(obs)
            learn.append(expert.learn)
            phases.append(expert.phase)
            rel = view.obj_pos("cube_1") - view.obj_pos("mug_1")
            off.append(float(np.linalg.norm(rel[:2])))
            obs, _, _, _, info = env.step(action)
            held = held + 1 if info["is_success"] else 0
            if held:  # the cube's height over the mug from the step it first counts as in
                sunk.append(float((view.obj_pos("cube_1") - view.obj_pos("mug_1"))[2]))
            if held >= 10 or (held and phases[-1] != "push"):  # as the collector stops
                break
        return info["is_success"], np.array(learn), phases, np.array(off), sunk

    clean_ok, clean_learn, clean_phases, clean_off, _ = drop(None, 5)
    assert clean_ok and clean_learn.all()
    assert clean_off[clean_phases.index("release")] < DROP_TOL + 0.001  # over the opening
    push_steps = []
    for seed in (5, 6):  # offsets of 6-12 mm: a cube let go 6 mm off may still fall in
        ok, learn, phases, off, sunk = drop(Perturbation(drop_miss=1.0), seed)
        assert ok  # in by itself or pushed in
        masked = np.flatnonzero(~learn)
        assert masked.size > 5 and np.all(np.diff(masked) == 1)  # one contiguous miss
        assert {phases[i] for i in masked} == {"place", "release"}  # side-step, drop, let go
        assert off[phases.index("release")] > 0.003  # let go beside the opening
        assert learn[masked[-1] + 1 :].all()  # what follows is learned from
        pushed = [e - s for name, s, e in skills_from_phases(phases) if name == "push"]
        if pushed and pushed[0] > 15:  # it jammed and was pushed: on past the threshold,
            assert len(sunk) == 10 and phases[-1] == "push"  # not stopping on it
            assert min(sunk) < sunk[0] - 0.0005
        push_steps += pushed
    assert max(push_steps) > 15  # at least one jammed on the rim and was pushed down


def test_drop_misses_change_nothing_without_a_snug_drop(env_of):
    from robolearn.experts import Perturbation

    env = env_of(PICK_PLACE)  # a bowl set on a plate: lowered, not dropped
    plain = episode(env, 0, expert_seed=7)["actions"]
    expert = make_expert(env, np.random.default_rng(7), Perturbation(drop_miss=1.0))
    missing = run_episode(env, expert, reset_kwargs={"seed": 0})["actions"]
    np.testing.assert_array_equal(plain, missing)


@pytest.mark.parametrize("miss", [-0.1, 1.5, float("nan")])
@pytest.mark.parametrize("key", ["miss", "drop_miss"])
def test_bad_miss_probability_is_refused(miss, key):
    from robolearn.data.collect import CollectSettings
    from robolearn.errors import ConfigError
    from robolearn.experts import Perturbation

    with pytest.raises(ValueError, match=f"perturbation {key} must be a probability"):
        Perturbation(**{key: miss})
    with pytest.raises(ConfigError, match=key):
        CollectSettings(**{key: miss})


@pytest.mark.parametrize(("std", "rho"), [(-0.1, 0.9), (float("nan"), 0.9), (0.1, 1.0)])
def test_bad_perturbation_is_refused(std, rho):
    from robolearn.data.collect import CollectSettings
    from robolearn.errors import ConfigError
    from robolearn.experts import Perturbation

    with pytest.raises(ValueError, match="perturbation"):
        Perturbation(std, rho)
    with pytest.raises(ConfigError, match="perturb"):
        CollectSettings(perturb=std, perturb_rho=rho)
    with pytest.raises(ConfigError, match="scope"):
        CollectSettings(perturb=0.1, perturb_scope="grasp")


def test_bowl_on_the_centre_line_is_always_pinched_on_the_same_side(env_of):
    """Expert version 2: a bowl within millimetres of the robot's centre line is pinched on one
    side whatever the sign of its offset (version 1 flipped sides at the line: 25 of 50 demos
    each way, a choice a policy cannot learn); a bowl far off the line is still pinched on the
    side nearer it."""
    from robolearn.experts.view import SceneView

    def sides(task_id, seeds):
        env = env_of(task_id)
        out = []
        for seed in seeds:
            env.reset(seed=seed)
            view = SceneView(env.unwrapped)
            bowl = view.spec.goal[0].args[0]
            pos = view.obj_pos(bowl)
            out.append((pos[1] - view.base_xy[1], view.grasp(bowl).point[1] - pos[1]))
        return np.array(out)

    centre = sides("spatial/bowl-in-front-of-plate-to-plate-v1", range(12))
    assert (centre[:, 0] > 0).any() and (centre[:, 0] < 0).any()  # offsets of both signs
    assert len(set(np.sign(centre[:, 1]))) == 1, centre
    right = sides("spatial/bowl-right-of-plate-to-plate-v1", range(3))  # y about +0.22
    assert (right[:, 0] > 0.1).all() and (right[:, 1] < 0).all(), right


@pytest.mark.parametrize("task_id", ["goal/lifted-mug-v1", "goal/on-mug-cabinet-top-v1"])
def test_a_mug_grasp_turns_the_wrist_the_same_way_for_nearby_mug_yaws(env_of, task_id):
    """Expert version 3: the wrist's turn to a mug's rim grasp changes with the mug's yaw only
    as much as the grasp does (version 2 folded the closing yaw nearest the hand's, so a rim
    point facing the robot, where most mug grasps are, sent the wrist 80 degrees one way or
    the other with a few degrees of the mug's yaw: 5 of 50 lifted-mug demos the other way).
    Whichever rim a task's mug is gripped on (planner._far_rim) holds for all its yaws."""
    import math

    import mujoco

    from robolearn.experts.motion import NEUTRAL_PSI, wrist_psi
    from robolearn.experts.planner import _far_rim
    from robolearn.experts.view import SceneView

    env = env_of(task_id)
    inner = env.unwrapped
    for seed in range(6):  # mug positions
        env.reset(seed=seed)
        view = SceneView(inner)
        goal = view.spec.goal[0]
        mug, dest = goal.args[0], (goal.args[1] if len(goal.args) > 1 else None)
        start = inner.scene.object_qpos[mug][0]
        rows = []
        for yaw in np.radians(np.arange(-180.0, 180.0, 2.0)):
            quat = [math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)]
            inner._data.qpos[start + 3 : start + 7] = quat
            mujoco.mj_forward(inner._model, inner._data)
            grasp = view.grasp(mug, _far_rim(view, mug, dest))
            turn = grasp.psi if grasp.exact else wrist_psi(grasp.psi, NEUTRAL_PSI)  # as Ctx.aim
            rows.append((*grasp.point[:2], turn))
        rows = np.array(rows)
        step = np.linalg.norm(np.diff(rows[:, :2], axis=0), axis=1)
        jump = np.abs(np.diff(rows[:, 2]))
        near = step < 0.01  # neighbouring yaws whose grasp points lie within 1 cm
        assert near.sum() > 150
        assert jump[near].max() < 0.2, (seed, np.degrees(jump[near].max()))


@pytest.mark.parametrize(
    ("task_id", "far"),
    [
        ("goal/on-mug-cabinet-top-v1", False),
        ("long/bowl-on-plate-mug-on-cabinet-v1", False),
        ("pretrain/on-mug-stove-top-v1", True),
    ],
)
def test_a_mug_is_gripped_on_the_same_rim_from_every_layout_of_its_task(env_of, task_id, far):
    """Expert version 4: the cabinet tasks' mugs stand 0.43-0.47 m from the base, across
    version 3's 0.45 m "close in", so their grasp flipped between the rims from one layout to
    the next (21 of 45 training demos the far rim). Now a carry of more than FAR_RIM_CARRY
    outwards is also needed: the cabinet (a 0.23-0.27 m carry) always gets the near rim, the
    stove top (0.46-0.51 m) always the far one, which it needs."""
    from robolearn.experts.planner import _far_rim
    from robolearn.experts.view import SceneView

    env = env_of(task_id)
    for i in range(20):
        env.reset(options={"init_state": i})
        view = SceneView(env.unwrapped)
        goal = view.spec.goal[-1]
        assert goal.args[0] == "mug_1"
        assert (_far_rim(view, "mug_1", goal.args[1]) is not None) == far, i


def test_a_grasp_descent_that_comes_to_rest_closes_there(env_of):
    """Expert version 2: on the bowl in front of the plate a finger comes to rest on the wall
    short of the grasp point; the descent closes once it has rested instead of pushing on to
    its step limit. Measured on these seeds, steps spent within 1 cm of where the fingers
    close: v1 52 / 48 / 51 (a wait no observation tells apart: a learned policy stalled there
    for good), v2 14 / 29 / 11."""
    env = env_of("spatial/bowl-in-front-of-plate-to-plate-v1")
    for i in (1, 3, 6):
        expert = make_expert(env, np.random.default_rng(EXPERT_SEED + i))
        obs, _ = env.reset(seed=i)
        expert.reset()
        eef, closing = [], False
        while not closing:
            action = expert.act()
            eef.append(obs["eef_pos"].copy())
            closing = action[6] > 0
            obs, *_ = env.step(action)
        near = np.linalg.norm(np.array(eef) - eef[-1], axis=1) < 0.01
        waited = len(near) - int(np.flatnonzero(~near)[-1]) - 1
        assert waited <= 35, (i, waited)
