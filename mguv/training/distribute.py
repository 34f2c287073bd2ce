"""tf.distribute strategies for ``train.py --strategy``, and who is the chief.

- ``default``: TensorFlow's default strategy (one device).
- ``mirrored``: ``MirroredStrategy`` over the local GPUs, or over ``cpu_replicas`` logical CPU
  devices (for testing, and for many-core hosts).
- ``multiworker``: ``MultiWorkerMirroredStrategy``; the cluster comes from ``TF_CONFIG``.
- ``tpu``: ``TPUStrategy`` on the TPU attached to this VM (Colab's TPU runtimes), else on the TPU
  node named by ``$COLAB_TPU_ADDR`` (Colab's older runtime).

Data: our datasets are in-memory tensors (the parse cache is loaded whole), so multi-worker input
is sharded with ``AutoShardPolicy.DATA`` (every worker reads the cache and keeps its share of each
batch); ``FILE`` sharding needs one file per shard, which a single cache file does not give.
"""

import json
import os

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")


def configure_cpu_replicas(n):
    """Splits the first CPU into ``n`` logical devices. Must run before TensorFlow uses a device."""
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * n)


# "local": a TPU attached to this VM (Colab's TPU runtimes today; ``tpu=""`` fails there).
# "": a TPU node reached over the network at $COLAB_TPU_ADDR (Colab's older TPU runtime).
TPU_NAMES = ("local", "")


def connect_tpu():
    """Connects to and initializes the first TPU of ``TPU_NAMES`` that answers.

    Returns:
      The ``TPUClusterResolver`` to build a ``TPUStrategy`` on.

    Raises:
      UsageError: none answered; the line says what each attempt gave.
    """
    import tensorflow as tf

    from mguv.errors import UsageError, first_line

    failures = []
    for name in TPU_NAMES:
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=name)
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
            return resolver
        except (ValueError, RuntimeError, tf.errors.OpError) as err:
            failures.append(f'tpu="{name}": {first_line(err)[:160]}')
    raise UsageError(f"--strategy tpu: no TPU found ({'; '.join(failures)})")


def make_strategy(name=None, cpu_replicas=0):
    """The ``tf.distribute.Strategy`` called ``name`` (None or "default": the default strategy)."""
    import tensorflow as tf

    from mguv.errors import UsageError

    if name not in (None, *STRATEGIES):
        raise UsageError(f"--strategy {name}: choose from {', '.join(STRATEGIES)}")
    if cpu_replicas and name != "mirrored":
        raise UsageError("--cpu-replicas goes with --strategy mirrored")
    if name in (None, "default"):
        return tf.distribute.get_strategy()
    if name == "mirrored":
        if cpu_replicas:
            configure_cpu_replicas(cpu_replicas)
            return tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(cpu_replicas)])
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise UsageError("--strategy multiworker needs TF_CONFIG (the cluster and this task); "
                             "see the README's 'Scaling up'")
        options = tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.RING)
        return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    return tf.distribute.TPUStrategy(connect_tpu())


def task():
    """(type, index) of this process from TF_CONFIG; ("chief", 0) when there is none."""
    config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
    t = config.get("task", {})
    return t.get("type", "chief"), int(t.get("index", 0))


def is_chief():
    """True for the process that writes the run directory: the chief, or worker 0 without one."""
    config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
    kind, index = task()
    has_chief = "chief" in config.get("cluster", {})
    return kind == "chief" or (kind == "worker" and index == 0 and not has_chief)
