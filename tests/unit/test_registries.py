"""The integrator and transport-model registries are the single source of truth.

A scheme or model registered at run time must reach every consumer (config schema, memory
estimate, factory, option picking, trilayer checks, the transport field and solver) without
touching them; unknown names are :class:`UserError`s naming the allowed ones; and every
registered integrator's declared options and ``transport_update`` modes must be what its class
actually accepts and does.
"""

from __future__ import annotations

import inspect
import math
import tracemalloc

import numpy as np
import pytest
from _config_samples import base

from spintorque import Grid, Material, Sample
from spintorque.config import ConfigError, config_from_dict
from spintorque.dynamics import LLG
from spintorque.dynamics.integrators import (
    INTEGRATORS,
    IntegratorSpec,
    integrator_options,
    integrator_spec,
    make_integrator,
    register_integrator,
    transport_update_names,
)
from spintorque.experiments.trilayer import TrilayerExperiment, experiment_integrators
from spintorque.fields import EffectiveField, Exchange, Zeeman
from spintorque.io import memory
from spintorque.io.errors import UserError
from spintorque.transport.models import (
    TRANSPORT_MODELS,
    TransportModelSpec,
    register_transport_model,
    transport_model,
)

BUILTIN_INTEGRATORS = ("rk45", "rk43", "gspm", "rk4", "euler")
VEC = 24  # bytes per cell of a vector array


def _either(names) -> str:
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def film(n: int = 4) -> Sample:
    return Sample.uniform(Grid((n, n, n), (2e-9,) * 3),
                          Material("py", Ms=8e5, A=1.3e-11, alpha=0.1))


def random_m(sample: Sample, seed: int = 0) -> np.ndarray:
    m = np.random.default_rng(seed).normal(size=sample.grid.vshape)
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


class HoldProbe:
    """A zero field term with the spin accumulation's ``hold`` protocol: counts the evaluations
    that would solve s (hold off, or a solve after an accepted step) and those that predict."""

    name = "probe"

    def __init__(self) -> None:
        self.hold = False
        self.solves = 0
        self.predictions = 0

    def field(self, m, t=0.0, out=None):
        out = np.zeros_like(m) if out is None else out
        out[...] = 0.0
        if self.hold:
            self.predictions += 1
        else:
            self.solves += 1
        return out

    def energy(self, m, t=0.0) -> float:
        return 0.0

    def add_solve_correction(self, m, t, out):
        self.solves += 1
        return out

    def lag_weight(self, t0, t1) -> float:
        return 0.5


def probed_llg(sample: Sample) -> tuple[LLG, HoldProbe]:
    probe = HoldProbe()
    terms = [Exchange(sample), Zeeman(sample, B=(0.0, 0.0, 0.1)), probe]
    return LLG(sample, EffectiveField(terms, sample.grid.vshape)), probe


# -- a dummy integrator, registered for one test at a time -----------------------------------------


class Dummy:
    """Forward Euler without projection, with a one-mode ``transport_update``."""

    name = "dummy"

    def __init__(self, llg: LLG, dt: float = 1e-13, transport_update: str = "step"):
        if transport_update != "step":
            raise ValueError(f"dummy: transport_update = {transport_update!r}; allowed: ('step',)")
        self.llg, self.dt = llg, dt
        self.stats = {"steps": 0, "rejected": 0, "evaluations": 0}

    def step(self, t, m, t_max=None):
        dt = self.dt if t_max is None else min(self.dt, t_max - t)
        self.stats["steps"] += 1
        return t + dt, m + dt * self.llg.rhs(t, m)


DUMMY_ARRAYS = 13


@pytest.fixture
def dummy():
    spec = register_integrator(IntegratorSpec(
        "dummy", Dummy, adaptive=False, transport_updates=("step",),
        default_transport_update="step", state_arrays=DUMMY_ARRAYS,
        summary="forward Euler (test)", options=("dt", "transport_update")))
    try:
        yield spec
    finally:
        del INTEGRATORS["dummy"]


def _no_transport(**run) -> dict:
    d = base()
    d["transport"] = {"model": "none"}
    d["relax"] = {"enabled": False}
    d["run"].update(run)
    return d


def test_registered_integrator_reaches_config_memory_factory_and_experiment(dummy):
    cfg = config_from_dict(_no_transport(integrator="dummy"))
    assert cfg.run.integrator == "dummy"
    nx, ny, nz = cfg.grid_shape
    assert memory.memory_breakdown(cfg)["integrator"] == VEC * nx * ny * nz * DUMMY_ARRAYS
    # its transport_update modes are the config's rule
    assert config_from_dict(_no_transport(integrator="dummy", transport_update="step"))
    with pytest.raises(ConfigError, match=r"run\.transport_update: 'evaluation' -> needs "
                                          r"integrator .*'rk45'.* \(integrator = 'dummy'\)"):
        config_from_dict(_no_transport(integrator="dummy", transport_update="evaluation"))
    # not adaptive: the fixed-step limit applies
    with pytest.raises(ConfigError, match=r"run\.dt: .* too small for integrator 'dummy'"):
        config_from_dict(_no_transport(integrator="dummy", duration=1.0, output_every=1e-3,
                                       dt=1e-15, snapshot_every=None))
    # options: only the ones it takes
    assert integrator_options("dummy", dt=1e-14, rtol=1e-6, dt_max=1e-12,
                              transport_update="step") == {"dt": 1e-14, "transport_update": "step"}
    sample = film(2)
    llg = LLG(sample, EffectiveField([Exchange(sample)], sample.grid.vshape))
    integ = make_integrator("dummy", llg, **integrator_options("dummy", dt=1e-14))
    assert isinstance(integ, Dummy) and integ.dt == 1e-14
    with pytest.raises(ValueError, match=r"integrator 'dummy': bad options.*allowed: \['dt', "
                                         r"'transport_update'\]"):
        make_integrator("dummy", llg, rtol=1e-6)
    # the experiment offers it (not a reference scheme) and applies its modes
    assert "dummy" in experiment_integrators()
    assert TrilayerExperiment(integrator="dummy").to_config(1e11)["run"]["integrator"] == "dummy"
    with pytest.raises(ValueError, match=r"transport_update = 'accepted' needs integrator "
                                         r"'rk45' or 'rk43' \(integrator = 'dummy'\)"):
        TrilayerExperiment(integrator="dummy", transport_update="accepted")
    with pytest.raises(ValueError, match="already registered"):
        register_integrator(dummy)


def test_unknown_names_are_user_errors_naming_the_allowed_ones():
    assert tuple(INTEGRATORS)[:5] == BUILTIN_INTEGRATORS and "dummy" not in INTEGRATORS
    for call in (lambda: integrator_spec("verlet"), lambda: integrator_options("verlet"),
                 lambda: make_integrator("verlet", None)):
        with pytest.raises(UserError, match="'verlet'") as err:
            call()
        assert all(repr(name) in str(err.value) for name in INTEGRATORS)
    with pytest.raises(UserError, match="'drift'") as err:
        transport_model("drift")
    assert all(repr(name) in str(err.value) for name in TRANSPORT_MODELS)
    # the config lists them in registration order, in the form of a Literal's message
    d = base()
    d["run"]["integrator"] = "dummy"  # unregistered again after the test above
    d["transport"]["model"] = "drift"
    with pytest.raises(ConfigError) as err:
        config_from_dict(d)
    text = str(err.value)
    assert f"run.integrator: 'dummy' -> input should be {_either(INTEGRATORS)} (" in text
    assert (f"transport.model: 'drift' -> input should be "
            f"{_either(('none', *TRANSPORT_MODELS))} (") in text
    with pytest.raises(ValueError, match="TrilayerExperiment.integrator = 'euler'; allowed: "
                                         "'rk45', 'rk43', 'gspm'"):
        TrilayerExperiment(integrator="euler")  # a reference scheme: config only


def test_the_builtin_entries_keep_the_documented_numbers():
    """The registry replaced literal tables: the same memory counts and run options as before."""
    assert {n: INTEGRATORS[n].state_arrays for n in BUILTIN_INTEGRATORS} == {
        "rk45": 12, "rk43": 8, "gspm": 8, "rk4": 7, "euler": 3}
    assert transport_update_names() == ("step", "evaluation", "accepted", "corrected")

    def before(name, dt, rtol, dt_max, update):  # Simulation._integrator_options until now
        options = {}
        if dt is not None:
            options["dt"] = float(dt)
        adaptive = name in ("rk45", "rk43")
        if adaptive and rtol is not None:
            options["rtol"] = float(rtol)
            options["atol"] = float(rtol)
        if adaptive and dt_max is not None:
            options["dt_max"] = float(dt_max)
        if update is not None and name in ("rk45", "rk43", "gspm"):
            options["transport_update"] = str(update)
        return options

    for name in BUILTIN_INTEGRATORS:
        for dt in (None, 1e-13):
            for rtol in (None, 1e-6):
                for dt_max in (None, 1e-12):
                    for update in (None, "step"):
                        assert integrator_options(name, dt=dt, rtol=rtol, dt_max=dt_max,
                                                  transport_update=update) == before(
                            name, dt, rtol, dt_max, update)


@pytest.mark.parametrize("name", BUILTIN_INTEGRATORS)
def test_spec_agrees_with_what_the_class_accepts_and_does(name):
    spec = INTEGRATORS[name]
    params = inspect.signature(spec.target).parameters
    assert set(spec.options) == {p for p in params if p not in ("self", "llg")}
    if spec.takes_transport_update:
        assert params["transport_update"].default == spec.default_transport_update
    if spec.adaptive:
        assert {"rtol", "atol", "dt_max"} <= set(spec.options)
    else:
        assert not {"rtol", "atol", "dt_max"} & set(spec.options)
    sample = film()
    m0 = random_m(sample)

    def holds(**options) -> tuple[bool, int]:
        """Whether some evaluation predicted s instead of solving, and the solves per step."""
        llg, probe = probed_llg(sample)
        integ = make_integrator(name, llg, dt=1e-14, **options)
        assert integ.name == name  # the checkpoint's name is the registry's
        t, m = 0.0, m0
        for _ in range(3):
            t, m = integ.step(t, m)
        return probe.predictions > 0, probe.solves

    expect_hold = {"evaluation": False, "step": True, "accepted": True, "corrected": True}
    for mode in (*transport_update_names(), "bogus"):
        if mode in spec.transport_updates and spec.takes_transport_update:
            assert holds(transport_update=mode)[0] == expect_hold[mode], mode
        elif spec.takes_transport_update:
            with pytest.raises(ValueError, match="transport_update"):
                holds(transport_update=mode)
    # the default (the only mode of schemes without the option) does what it says
    assert holds()[0] == expect_hold[spec.default_transport_update]
    if not spec.takes_transport_update:
        assert spec.transport_updates == (spec.default_transport_update,)
        with pytest.raises(ValueError, match="bad options"):
            make_integrator(name, probed_llg(sample)[0], transport_update="evaluation")


@pytest.mark.parametrize("name", BUILTIN_INTEGRATORS)
def test_state_arrays_against_the_measured_step(name):
    """``state_arrays`` counts the scheme's own vector buffers. Measured (tracemalloc, after a
    warm-up) over construction and one step, the peak is that count plus at most two vectors:
    the |m| = 1 projection's scalar scratch and the new state a step hands out, which the
    memory estimate carries in its state part and baseline (``tests/unit/test_config.py``
    compares the total with a measured peak RSS)."""
    spec = INTEGRATORS[name]
    sample = film(16)
    m0 = random_m(sample)

    def llg() -> LLG:
        terms = [Exchange(sample), Zeeman(sample, B=(0.0, 0.0, 0.1))]
        return LLG(sample, EffectiveField(terms, sample.grid.vshape))

    warm = llg()
    make_integrator(name, warm, dt=1e-14).step(0.0, m0)  # kernels compiled or loaded
    fresh = llg()
    fresh.rhs(0.0, m0)
    tracemalloc.start()
    try:
        integ = make_integrator(name, fresh, dt=1e-14)
        integ.step(0.0, m0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    measured = peak / (VEC * math.prod(sample.grid.n))
    assert spec.state_arrays <= measured + 0.1, measured
    assert measured <= spec.state_arrays + 2.2, measured


# -- transport models ------------------------------------------------------------------------------


def test_registered_transport_model_reaches_config_field_solver_and_experiment():
    from spintorque.transport import DiffusionModel, SpinAccumulationField, TransportSolver

    class Scaled(DiffusionModel):
        name = "scaled"

    spec = register_transport_model(TransportModelSpec(
        "scaled", "ZLF again (test)", Scaled, line_method="gmres"))
    try:
        d = base()
        d["transport"]["model"] = "scaled"
        assert config_from_dict(d).transport.model == "scaled"
        assert TrilayerExperiment(model="scaled").model == "scaled"
        fm = Material("fm", Ms=8e5, A=1.3e-11, D0=1e-3, beta=0.9, beta_prime=0.8,
                      lambda_sf=10e-9, c_sd=3.125e-3)
        nm = Material("nm", D0=5e-3, lambda_sf=10e-9)
        sample = Sample.stack((2, 2), (2e-9,) * 3, [("FM", 4e-9, fm), ("NM", 4e-9, nm)])
        term = SpinAccumulationField(sample, "scaled", 1e11, a=3.0)  # a: not its option
        assert type(term.model) is Scaled
        assert TransportSolver(term.model, preconditioner="line").method == spec.line_method
        assert TransportSolver(term.model, preconditioner="line_sgs").method == "bicgstab"
    finally:
        del TRANSPORT_MODELS["scaled"]
    with pytest.raises(UserError, match="'scaled'.*allowed: \\['diffusion', 'moment'\\]"):
        SpinAccumulationField(sample, "scaled", 1e11)
    with pytest.raises(ValueError, match="model"):
        TrilayerExperiment(model="scaled")


def test_builtin_transport_models_dispatch_through_the_registry():
    from spintorque.transport import DiffusionModel, MomentModel, TransportSolver

    assert tuple(TRANSPORT_MODELS) == ("diffusion", "moment")
    fm = Material("fm", Ms=8e5, D0=1e-3, beta=0.9, beta_prime=0.8, lambda_sf=10e-9,
                  c_sd=3.125e-3)
    sample = Sample.stack((2, 2), (2e-9,) * 3, [("FM", 4e-9, fm)])
    diffusion = transport_model("diffusion").build(sample, 1e11, a=2.0, z_refine=2)
    moment = transport_model("moment").build(sample, 1e11, a=2.0, z_refine=2)
    assert type(diffusion) is DiffusionModel and type(moment) is MomentModel
    assert moment.a == 2.0 and moment.ncells == diffusion.ncells == 2 * 2 * 2 * 2  # z_refine 2
    # the solver's "auto" method as before: LGMRES only for the moment model with a plain line
    # preconditioner
    for model, line in ((diffusion, "bicgstab"), (moment, "lgmres")):
        assert TransportSolver(model, preconditioner="line").method == line
        assert TransportSolver(model).method == "bicgstab"
    with pytest.raises(ValueError, match="'none'"):
        TransportModelSpec("none", "no transport", DiffusionModel)
