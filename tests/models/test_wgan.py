"""The WGAN: critic steps per generator step, weight clipping, and the gradient-penalty variant."""

import keras
import numpy as np
import pytest

from mguv.models.wgan import WGAN


def trained(gp, n_critic=3):
    model = WGAN(16, 10, latent_dim=4, generator_units=8, critic_units=8, num_heads=2, n_critic=n_critic,
                 clip_value=0.01, gp=gp, critic_learning_rate=1e-2, seed=0)
    model.build((None, 4))
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3))
    x = (np.random.default_rng(0).random((16, 16, 10)) < 0.2).astype(np.float32)
    logs = {k: v[-1] for k, v in model.fit(x, batch_size=8, epochs=1, verbose=0).history.items()}
    return model, logs


@pytest.mark.parametrize("gp", [0.0, 10.0])
def test_a_training_step_updates_the_critic_n_critic_times(gp):
    model, logs = trained(gp)
    assert all(np.isfinite(logs[k]) for k in ("loss", "critic_loss", "generator_loss", "gradient_penalty"))
    assert int(model.optimizer.iterations) == 2 and int(model.critic_optimizer.iterations) == 6
    largest = max(float(np.abs(w.numpy()).max()) for w in model.critic.trainable_weights)
    if gp == 0:  # clipping keeps every critic weight in [-0.01, 0.01]
        assert largest <= 0.01 + 1e-7 and logs["gradient_penalty"] == 0
    else:  # the penalty replaces clipping
        assert largest > 0.01 and logs["gradient_penalty"] > 0


def test_generate_gives_probabilities_and_seeded_rolls():
    model, _ = trained(0.0, n_critic=1)
    z = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    noise = np.random.default_rng(2).random((3, 16, 10)).astype(np.float32)
    probs, roll = (np.asarray(v) for v in model.generate(z, noise, 1.0))
    assert probs.shape == roll.shape == (3, 16, 10) and 0 <= probs.min() and probs.max() <= 1
    np.testing.assert_array_equal(roll, (probs > noise).astype(np.float32))
    np.testing.assert_array_equal(np.asarray(model.generate(z)[1]), (probs > 0.5).astype(np.float32))
