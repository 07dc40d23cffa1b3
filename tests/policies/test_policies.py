"""The Policy contract for every registered policy: shapes, learning, save/load, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from robolearn.data.dataset import DemoDataset
from robolearn.errors import CheckpointError, ConfigError
from robolearn.policies import CONFIGS, build_policy, policy_names
from robolearn.policies.base import History, PolicySpec
from robolearn.policies.configs import HeadConfig, TextConfig, VisionSchema
from robolearn.policies.io import load_policy, save_policy
from tests.policies import OBJECT_DIMS, write_policy_file

IMAGE_KEYS = ["agentview_rgb", "wrist_rgb", "eef_pos", "gripper_qpos"]
TINY_TEXT = TextConfig(model="RN50", seed=3)


def tiny_config(name: str, head: str = "gmm"):
    cfg = CONFIGS[name]()
    cfg.head = HeadConfig(kind=head, hidden=[32], modes=3)
    cfg.text = TINY_TEXT
    cfg.lang_dim = 16
    if name == "bc_mlp":
        cfg.hidden, cfg.seq_len, cfg.frame_stack = [64, 64], 3, 2
    else:
        cfg.obs_keys = list(IMAGE_KEYS)
        cfg.seq_len = 4
        cfg.vision = VisionSchema(width=8, blocks=2, keypoints=8, out_dim=16, random_shift=2)
        if name == "bc_rnn":
            cfg.rnn_hidden, cfg.rnn_layers, cfg.rnn_horizon = 32, 1, 4
        else:
            cfg.token_dim, cfg.layers, cfg.heads, cfg.head_dim, cfg.mlp_dim = 16, 2, 2, 8, 32
    return cfg


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    return write_policy_file(tmp_path_factory.mktemp("pol") / "demo.hdf5", demos=3, length=12)


def dataset_for(cfg, path):
    ds = DemoDataset([path], cfg.obs_keys, seq_len=cfg.seq_len, frame_stack=cfg.frame_stack)
    ds.set_normalizer(ds.compute_normalizer())
    return ds


def make_policy(name, path, head="gmm"):
    cfg = tiny_config(name, head)
    ds = dataset_for(cfg, path)
    torch.manual_seed(0)
    return build_policy(cfg, PolicySpec.from_dataset(ds), ds.normalizer), ds


def raw_obs(batch: int, seed: int = 0, objects: int = OBJECT_DIMS) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "eef_pos": rng.normal(size=(batch, 3)).astype(np.float32),
        "eef_quat": np.tile(np.array([1, 0, 0, 0], np.float32), (batch, 1)),
        "gripper_qpos": rng.uniform(0, 0.04, (batch, 2)).astype(np.float32),
        "object_state": rng.normal(size=(batch, objects)).astype(np.float32),
        "object_rel_pos": rng.normal(size=(batch, 6)).astype(np.float32),
        "fixture_rel_pos": np.zeros((batch, 0), np.float32),
        "agentview_rgb": rng.integers(0, 255, (batch, 16, 16, 3), dtype=np.uint8),
        "wrist_rgb": rng.integers(0, 255, (batch, 16, 16, 3), dtype=np.uint8),
        "language": ["put the cube in the basket"] * batch,
    }


def test_all_three_policies_are_registered():
    assert set(policy_names()) >= {"bc_mlp", "bc_rnn", "bc_transformer"}


@pytest.mark.parametrize("name", policy_names())
def test_loss_and_action_shapes(name, demo_file):
    policy, ds = make_policy(name, demo_file)
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=4)))
    loss, metrics = policy.compute_loss(batch)
    assert loss.ndim == 0 and torch.isfinite(loss) and "mse" in metrics
    actions = policy.act(raw_obs(3))
    assert actions.shape == (3, 7) and actions.dtype == np.float32
    assert np.all(np.abs(actions) <= 1.0)


@pytest.mark.slow
@pytest.mark.parametrize("name", policy_names())
@pytest.mark.parametrize("head", ["gmm", "gaussian", "deterministic"])
def test_loss_falls_when_overfitting_a_tiny_batch(name, head, demo_file):
    policy, ds = make_policy(name, demo_file, head)
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=8, shuffle=False)))
    opt = torch.optim.Adam(policy.parameters(), lr=3e-3)
    policy.train()
    losses = []
    for _ in range(60):
        loss, _ = policy.compute_loss(batch)
        losses.append(float(loss))
        opt.zero_grad()
        loss.backward()
        opt.step()
    first, last = losses[0], min(losses[-5:])
    assert last < first - 0.5 * abs(first), losses


@pytest.mark.parametrize("name", policy_names())
def test_save_load_gives_identical_actions(name, demo_file, tmp_path):
    policy, _ = make_policy(name, demo_file)
    policy.eval()
    steps = [raw_obs(2, seed=s) for s in range(5)]
    policy.reset()
    before = [policy.act(o) for o in steps]
    save_policy(policy, tmp_path / "ckpt")
    assert not list((tmp_path / "ckpt").glob("*.pt")) and not list(tmp_path.glob("**/*.pkl"))
    loaded = load_policy(tmp_path / "ckpt")
    loaded.reset()
    after = [loaded.act(o) for o in steps]
    np.testing.assert_array_equal(np.stack(before), np.stack(after))


@pytest.mark.parametrize("name", ["bc_rnn", "bc_transformer"])
def test_reset_of_one_slot_restarts_only_its_history(name, demo_file):
    policy, _ = make_policy(name, demo_file)
    policy.eval()
    obs = [raw_obs(2, seed=s) for s in range(3)]
    policy.reset()
    for o in obs:
        policy.act(o)
    policy.reset([1])
    mixed = policy.act(obs[0])
    policy.reset()
    fresh = policy.act(obs[0])  # both slots start from obs[0]
    assert np.allclose(mixed[1], fresh[1], atol=1e-6)
    assert not np.allclose(mixed[0], fresh[0], atol=1e-6)  # slot 0 kept its history


def test_shorter_object_state_is_zero_padded_and_longer_is_an_error(demo_file):
    policy, _ = make_policy("bc_mlp", demo_file)
    obs = raw_obs(2, objects=OBJECT_DIMS - 3)
    padded = dict(obs, object_state=np.pad(obs["object_state"], ((0, 0), (0, 3))))
    policy.reset()
    a = policy.act(obs)
    policy.reset()
    np.testing.assert_array_equal(a, policy.act(padded))
    with pytest.raises(ConfigError, match="object_state"):
        policy.act(raw_obs(2, objects=OBJECT_DIMS + 1))


def test_policy_reading_keys_the_data_lacks_names_them(demo_file):
    cfg = tiny_config("bc_mlp")
    ds = dataset_for(cfg, demo_file)
    cfg.obs_keys = [*cfg.obs_keys, "joint_pos"]
    with pytest.raises(ConfigError, match="joint_pos"):
        build_policy(cfg, PolicySpec.from_dataset(ds), ds.normalizer)


def test_bc_mlp_refuses_images(demo_file):
    cfg = tiny_config("bc_mlp")
    cfg.obs_keys = ["agentview_rgb", "eef_pos"]
    ds = dataset_for(cfg, demo_file)
    with pytest.raises(ConfigError, match="agentview_rgb"):
        build_policy(cfg, PolicySpec.from_dataset(ds), ds.normalizer)


def test_bad_checkpoints_raise_typed_errors(demo_file, tmp_path):
    with pytest.raises(CheckpointError, match=r"policy\.json"):
        load_policy(tmp_path / "nowhere")
    policy, _ = make_policy("bc_mlp", demo_file)
    folder = save_policy(policy, tmp_path / "ok")
    meta = json.loads((folder / "policy.json").read_text())
    (folder / "policy.json").write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(CheckpointError, match="format_version"):
        load_policy(folder)
    (folder / "policy.json").write_text(json.dumps({**meta, "format": "something-else"}))
    with pytest.raises(CheckpointError, match="format"):
        load_policy(folder)
    (folder / "policy.json").write_text(json.dumps(meta))
    (folder / "model.safetensors").write_bytes(b"\x80\x04 a pickle, not safetensors")
    with pytest.raises(CheckpointError, match=r"model\.safetensors"):
        load_policy(folder)
    other = save_policy(make_policy("bc_rnn", demo_file)[0], tmp_path / "rnn")
    (folder / "model.safetensors").write_bytes((other / "model.safetensors").read_bytes())
    with pytest.raises(CheckpointError, match="does not match"):
        load_policy(folder)


def test_history_pads_with_the_first_frame_or_left_aligns():
    stack = History(3, pad_first=True)
    fresh = torch.tensor([True, True])
    window, _ = stack.push({"x": torch.tensor([[1.0], [5.0]])}, fresh)
    assert window["x"][:, :, 0].tolist() == [[1, 1, 1], [5, 5, 5]]
    window, _ = stack.push({"x": torch.tensor([[2.0], [6.0]])}, torch.tensor([False, True]))
    assert window["x"][:, :, 0].tolist() == [[1, 1, 2], [6, 6, 6]]
    ctx = History(2, pad_first=False)
    seq = [torch.tensor([[float(t)]]) for t in range(4)]
    counts = []
    for t, x in enumerate(seq):
        window, count = ctx.push({"x": x}, torch.tensor([t == 0]))
        counts.append(int(count[0]))
    assert counts == [1, 2, 2, 2] and window["x"][0, :, 0].tolist() == [2.0, 3.0]


def test_text_encoder_is_deterministic_and_cached():
    from robolearn.encoders.text import TextEncoder, TextEncoderConfig

    a = TextEncoder(TextEncoderConfig(model="RN50", seed=1))
    b = TextEncoder(TextEncoderConfig(model="RN50", seed=1))
    texts = ["open the drawer", "put the bowl on the plate"]
    ea, eb = a.encode(texts), b.encode(texts)
    np.testing.assert_array_equal(ea, eb)
    assert ea.shape[0] == 2 and np.allclose(np.linalg.norm(ea, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(ea[0], ea[1])
    a.release()
    np.testing.assert_array_equal(a.encode(texts[:1]), ea[:1])  # served from the cache
    with pytest.raises(ConfigError, match="not-a-model"):
        TextEncoder(TextEncoderConfig(model="not-a-model")).encode(["x"])
    with pytest.raises(ConfigError, match="pretrained"):
        TextEncoder(TextEncoderConfig(model="RN50", pretrained="no-such-tag")).encode(["x"])


def test_gripper_is_binarised_and_temporal_ensembling_averages_chunks(demo_file):
    policy, _ = make_policy("bc_mlp", demo_file)
    policy.eval()
    obs = [raw_obs(2, seed=s) for s in range(4)]
    policy.reset()
    plain = [policy.act(o) for o in obs]
    assert set(np.unique(np.stack(plain)[..., -1])) <= {-1.0, 1.0}
    policy.cfg.temporal_ensemble = 0.01
    policy.reset()
    ensembled = [policy.act(o) for o in obs]
    np.testing.assert_allclose(ensembled[0], plain[0], atol=1e-6)  # one chunk so far
    assert not np.allclose(ensembled[3][:, :6], plain[3][:, :6], atol=1e-4)
    policy.reset([0])  # a new episode in slot 0 forgets its old chunks
    again = policy.act(obs[0])
    np.testing.assert_allclose(again[0], plain[0][0], atol=1e-6)


def test_open_loop_execution_replays_each_chunk_then_replans(demo_file):
    policy, _ = make_policy("bc_mlp", demo_file)  # seq_len 3
    policy.eval()
    obs = [raw_obs(2, seed=s) for s in range(4)]
    with torch.no_grad():  # the chunks the head predicts at steps 0 and 3 (normalised)
        chunks = {}
        for t in (0, 3):
            policy.cfg.execute = 1
            policy.reset()
            for o in obs[: t + 1]:  # feed the frame stack the same history as the rollout
                x = policy.prepare(o)
                window, _ = policy.history.push(
                    {"low": policy.low_dim(x)}, torch.tensor([o is obs[0]] * 2)
                )
            lang = policy.embed_language(obs[t]["language"], 2)
            chunks[t] = policy.unnormalize_action(
                policy.head.act(policy._features(window["low"], lang))
            )
    policy.cfg.execute = 3
    policy.reset()
    got = [policy.act(o) for o in obs]
    for t in range(3):  # the first chunk open loop, whatever the observations do
        np.testing.assert_allclose(got[t], chunks[0][:, t], atol=1e-5)
    np.testing.assert_allclose(got[3], chunks[3][:, 0], atol=1e-5)  # replanned at step 3
    policy.reset([1])  # a new episode in slot 1 replans that slot only
    nxt = policy.act(obs[0])
    np.testing.assert_allclose(nxt[0], chunks[3][0, 1], atol=1e-5)
    assert not np.allclose(nxt[1], chunks[3][1, 1], atol=1e-4)
    cfg = tiny_config("bc_mlp")
    cfg.execute = 4  # longer than the chunk
    ds = dataset_for(cfg, demo_file)
    with pytest.raises(ConfigError, match="execute=4"):
        build_policy(cfg, PolicySpec.from_dataset(ds), ds.normalizer)


def test_mid_chunk_steps_skip_the_network_with_the_same_actions(demo_file, monkeypatch):
    cfg = tiny_config("bc_mlp")
    cfg.frame_stack, cfg.execute = 1, 3  # no history: mid-chunk steps need no observation
    ds = dataset_for(cfg, demo_file)
    torch.manual_seed(0)
    policy = build_policy(cfg, PolicySpec.from_dataset(ds), ds.normalizer)
    policy.eval()
    obs = [raw_obs(2, seed=s) for s in range(7)]
    with torch.no_grad():  # what the head predicts from each replanning step's observation
        chunks = {}
        for t in (0, 3, 6):
            x = policy.prepare(obs[t])
            lang = policy.embed_language(obs[t]["language"], 2)
            feats = policy._features(policy.low_dim(x)[:, None], lang)
            chunks[t] = policy.unnormalize_action(policy.head.act(feats))
    prepared = []
    real_prepare = policy.prepare
    monkeypatch.setattr(policy, "prepare", lambda o: prepared.append(1) or real_prepare(o))
    policy.reset()
    for t, o in enumerate(obs):
        np.testing.assert_allclose(policy.act(o), chunks[t - t % 3][:, t % 3], atol=1e-5)
    assert len(prepared) == 3  # only at steps 0, 3 and 6
    policy.reset([0])  # a new episode in one slot: that step runs the network again
    policy.act(obs[0])
    assert len(prepared) == 4


def test_rollout_keys_change_on_a_trained_policy_and_nothing_else(demo_file, tmp_path):
    policy, _ = make_policy("bc_mlp", demo_file)  # seq_len 3
    save_policy(policy, tmp_path / "ckpt")
    loaded = load_policy(tmp_path / "ckpt")
    assert loaded.cfg.execute == 1
    loaded.configure_rollout({"execute": 3})
    assert loaded.cfg.execute == 3
    with pytest.raises(ConfigError, match=r"execute=5 must lie in 1\.\.seq_len=3"):
        loaded.configure_rollout({"execute": 5})
    assert loaded.cfg.execute == 3  # a rejected setting leaves the old one
    with pytest.raises(ConfigError, match="not both"):
        loaded.configure_rollout({"temporal_ensemble": 0.01})
    with pytest.raises(ConfigError, match=r"cannot change \['hidden'\]"):
        loaded.configure_rollout({"hidden": [8]})
    rnn, _ = make_policy("bc_rnn", demo_file)
    with pytest.raises(ConfigError, match="rollout-time keys: none"):
        rnn.configure_rollout({"execute": 2})


def test_standardised_language_separates_instructions_and_survives_save_load(demo_file, tmp_path):
    cfg = tiny_config("bc_mlp")
    cfg.lang_standardize = True
    ds = dataset_for(cfg, demo_file)
    torch.manual_seed(0)
    policy = build_policy(cfg, PolicySpec.from_dataset(ds), ds.normalizer)
    texts = ["put the cube in the basket", "put the ball in the basket", "open the drawer"]
    policy.fit_language_stats(texts)
    assert policy.text is not None
    raw = torch.from_numpy(policy.text.encode(texts))
    std = (raw - policy.lang_mean) / policy.lang_std
    torch.testing.assert_close(std.mean(0), torch.zeros(raw.shape[1]), atol=1e-5, rtol=0)
    cos = torch.nn.functional.cosine_similarity
    # random-init CLIP embeds these nearly alike; standardised they are far apart
    assert float(cos(raw[0], raw[1], dim=0)) > 0.5
    assert float(cos(std[0], std[1], dim=0)) < float(cos(raw[0], raw[1], dim=0)) - 0.3
    policy.eval()
    obs = [{**raw_obs(3, seed=s), "language": texts} for s in range(3)]
    policy.reset()
    before = [policy.act(o) for o in obs]
    save_policy(policy, tmp_path / "ckpt")
    loaded = load_policy(tmp_path / "ckpt")
    assert bool(loaded.lang_fitted)
    torch.testing.assert_close(loaded.lang_mean, policy.lang_mean, atol=0, rtol=0)
    loaded.reset()
    np.testing.assert_array_equal(np.stack(before), np.stack([loaded.act(o) for o in obs]))


def test_gmm_log_prob_equals_torch_distributions():
    from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

    from robolearn.policies.heads import gmm_log_prob

    g = torch.Generator().manual_seed(0)
    means = torch.randn(4, 3, 5, 7, generator=g)
    stds = torch.rand(4, 3, 5, 7, generator=g) + 0.01
    logits = torch.randn(4, 3, 5, generator=g)
    target = torch.randn(4, 3, 7, generator=g)
    dist = MixtureSameFamily(Categorical(logits=logits), Independent(Normal(means, stds), 1))
    torch.testing.assert_close(
        gmm_log_prob(means, stds, logits, target), dist.log_prob(target), rtol=1e-5, atol=1e-4
    )


def test_whitened_language_puts_every_pair_of_instructions_equally_far_apart(demo_file, tmp_path):
    """lang_whiten: the training instructions become a regular simplex (identity covariance in
    their span): one word apart or all words apart, every pair is as far apart; a new
    instruction is projected into that span; the map is saved with the weights."""
    cfg = tiny_config("bc_mlp")
    cfg.lang_standardize = cfg.lang_whiten = True
    ds = dataset_for(cfg, demo_file)
    torch.manual_seed(0)
    policy = build_policy(cfg, PolicySpec.from_dataset(ds), ds.normalizer)
    texts = [
        "pick up the green cube and place it in the white bowl",
        "pick up the green cube and place it in the red mug",
        "pick up the red mug and place it on the top of the cabinet",
        "open the drawer of the cabinet",
    ]
    policy.fit_language_stats(texts)
    raw = torch.from_numpy(policy.text.encode(texts))
    white = (raw - policy.lang_mean) @ policy.lang_white
    dist = torch.cdist(white.double(), white.double())[~torch.eye(4, dtype=torch.bool)]
    torch.testing.assert_close(dist, torch.full_like(dist, float(dist.mean())), atol=1e-3, rtol=0)
    std = (raw - policy.lang_mean) / policy.lang_std  # per dimension only: far from equal
    sdist = torch.cdist(std.double(), std.double())[~torch.eye(4, dtype=torch.bool)]
    assert float(sdist.max() / sdist.min()) > 1.2
    new = torch.from_numpy(policy.text.encode(["open the door of the microwave"]))
    projected = (new - policy.lang_mean) @ policy.lang_white
    again = (projected @ torch.linalg.pinv(policy.lang_white)) @ policy.lang_white
    torch.testing.assert_close(again, projected, atol=1e-3, rtol=0)  # lies in the span
    save_policy(policy, tmp_path / "ckpt")
    loaded = load_policy(tmp_path / "ckpt")
    torch.testing.assert_close(loaded.lang_white, policy.lang_white, atol=0, rtol=0)
    cfg.lang_standardize = False
    with pytest.raises(ConfigError, match=r"lang_whiten=true .* needs language=true and lang_st"):
        build_policy(cfg, PolicySpec.from_dataset(ds), ds.normalizer)


def test_near_field_features_are_tanh_of_metre_offsets_and_pairwise_offsets(demo_file, tmp_path):
    """near_field=[s...]: tanh(d / s) of each object's offset from the hand (undoing the
    normalisation) and of each object's offset from every later object, per scale."""
    cfg = tiny_config("bc_mlp")
    cfg.near_field = [0.01, 0.05]
    ds = dataset_for(cfg, demo_file)
    torch.manual_seed(0)
    policy = build_policy(cfg, PolicySpec.from_dataset(ds), ds.normalizer)
    # the demo file has 2 objects and no fixtures: 2 points + 1 pair, xyz, 2 scales
    near_dim = (2 + 1) * 3 * 2
    assert policy.trunk[0].in_features == (policy.low_dim_size + near_dim) * 2 + policy.lang_dim
    rel = np.array([[0.01, -0.02, 0.0, 0.0, 0.03, -0.005]], np.float32)  # metres
    obs = raw_obs(1)
    obs["object_rel_pos"] = rel
    x = policy.low_dim(policy.prepare(obs))
    got = policy.near_field(x).reshape(2, 3, 3).numpy()
    a, b = rel[0, :3], rel[0, 3:]
    for k, s in enumerate((0.01, 0.05)):
        np.testing.assert_allclose(got[k], np.tanh(np.stack([a, b, b - a]) / s), atol=1e-5)
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=4)))
    assert torch.isfinite(policy.compute_loss(batch)[0])
    policy.eval()
    policy.reset()
    before = policy.act(raw_obs(2))
    save_policy(policy, tmp_path / "ckpt")
    loaded = load_policy(tmp_path / "ckpt")
    assert loaded.cfg.near_field == [0.01, 0.05]
    loaded.reset()
    np.testing.assert_array_equal(before, loaded.act(raw_obs(2)))
    cfg.near_field = [0.0]
    with pytest.raises(ConfigError, match="must be positive"):
        build_policy(cfg, PolicySpec.from_dataset(ds), ds.normalizer)
    cfg.near_field = [0.01]
    cfg.obs_keys = [k for k in cfg.obs_keys if k != "object_rel_pos"]
    with pytest.raises(ConfigError, match=r"needs 'object_rel_pos' in policy\.obs_keys"):
        build_policy(cfg, PolicySpec.from_dataset(dataset_for(cfg, demo_file)), ds.normalizer)


def test_fourier_features_add_octaves_of_each_input_and_survive_save_load(demo_file, tmp_path):
    """fourier=K: each normalised input x also enters as sin(2^k x), cos(2^k x), k < K."""
    cfg = tiny_config("bc_mlp")
    cfg.fourier = 3
    ds = dataset_for(cfg, demo_file)
    torch.manual_seed(0)
    policy = build_policy(cfg, PolicySpec.from_dataset(ds), ds.normalizer)
    first = policy.trunk[0]
    dims = policy.low_dim_size * cfg.frame_stack
    assert first.in_features == dims * 7 + policy.lang_dim
    seen = {}
    first.register_forward_hook(lambda mod, inp, out: seen.update(x=inp[0].detach()))
    frames = torch.randn(2, cfg.frame_stack, policy.low_dim_size)
    policy._features(frames, None if policy.lang_dim == 0 else torch.zeros(2, policy.lang_dim))
    x = seen["x"][:, : dims * 7].reshape(2, cfg.frame_stack, 7 * policy.low_dim_size)
    d = policy.low_dim_size
    torch.testing.assert_close(x[..., :d], frames)
    torch.testing.assert_close(x[..., d : 2 * d], torch.sin(frames))  # k = 0
    torch.testing.assert_close(x[..., 3 * d : 4 * d], torch.sin(4 * frames))  # k = 2
    torch.testing.assert_close(x[..., 6 * d :], torch.cos(4 * frames))
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=4)))
    loss, _ = policy.compute_loss(batch)
    assert torch.isfinite(loss)
    policy.eval()
    policy.reset()
    before = policy.act(raw_obs(2))
    save_policy(policy, tmp_path / "ckpt")
    loaded = load_policy(tmp_path / "ckpt")
    assert loaded.cfg.fourier == 3
    loaded.reset()
    np.testing.assert_array_equal(before, loaded.act(raw_obs(2)))
    cfg.fourier = -1
    with pytest.raises(ConfigError, match="fourier=-1"):
        build_policy(cfg, PolicySpec.from_dataset(ds), ds.normalizer)


def test_dim_weights_reweigh_the_deterministic_loss_and_bad_weights_are_refused():
    from robolearn.policies.heads import make_head

    torch.manual_seed(0)
    features, target = torch.randn(5, 8), torch.randn(5, 3)
    plain = make_head(HeadConfig(kind="deterministic", loss="l1", hidden=[]), 8, 3)
    weighted = make_head(
        HeadConfig(kind="deterministic", loss="l1", hidden=[], dim_weights=[1.0, 0.0, 5.0]), 8, 3
    )
    weighted.load_state_dict(plain.state_dict())
    err = (plain.act(features) - target).abs().detach()
    # a weighted mean over the dimensions: weights 1, 0, 5 scaled to mean 1 (0.5, 0, 2.5)
    expected = (err[:, 0] * 0.5 + err[:, 2] * 2.5).mean() / 3
    assert torch.allclose(weighted.loss(features, target, None)[0], expected, atol=1e-6)
    assert torch.allclose(plain.loss(features, target, None)[0], err.mean(), atol=1e-6)
    # the gradient reaches only the weighted dimensions' outputs
    weighted.zero_grad()
    weighted.loss(features, target, None)[0].backward()
    grad = weighted.proj.bias.grad
    assert grad is not None and grad[1] == 0 and grad[0] != 0 and grad[2] != 0
    for bad in ([1.0, 1.0], [1.0, -1.0, 1.0], [0.0, 0.0, 0.0], [1.0, float("nan"), 1.0]):
        with pytest.raises(ConfigError, match="dim_weights"):
            make_head(HeadConfig(kind="deterministic", loss="l1", dim_weights=bad), 8, 3)
    with pytest.raises(ConfigError, match="deterministic head only"):
        make_head(HeadConfig(kind="gmm", dim_weights=[1.0, 1.0, 1.0]), 8, 3)
