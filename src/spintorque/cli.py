"""Command-line interface: ``spintorque run | validate | ...``.

Mistakes in what the user gave (a config that does not validate, a missing file, a TOML syntax
error, any :class:`~spintorque.io.errors.UserError`, and a ``ValueError`` raised by spintorque's
own code, which by convention means bad input) print one paragraph on stderr and exit with code 2,
without a traceback; ``--debug`` shows the traceback anyway. A run stopped by a numerical fault
(``SimulationError``) prints its message and exits with code 1. Anything else is a bug and keeps
its traceback (exit 1).

Adding a command (``sweep``, ``table``, ``plot``, ``hierarchy``, ``switching``, ...): either

* write a ``click.Command`` in your own module and list it in :data:`LAZY_COMMANDS` as
  ``"name": "module.path:attribute"`` (imported only when the command is used, so ``--help``
  and ``validate`` stay fast and a missing optional dependency breaks only that command), or
* decorate a function here with ``@main.command()``.

Raise a :class:`~spintorque.io.errors.UserError` (or :class:`ConfigError`) for bad input and the
group prints it cleanly.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from . import __version__
from .io.errors import UserError

#: commands that live in other modules: name -> "module:attribute" (a click.Command)
LAZY_COMMANDS: dict[str, str] = {
    "sweep": "spintorque.experiments.cli:sweep",
    "table": "spintorque.experiments.cli:table",
    "switching": "spintorque.experiments.cli:switching",
    "plot": "spintorque.experiments.cli:plot",
    "hierarchy": "spintorque.hierarchy.cli:hierarchy",
    "continue": "spintorque.experiments.followup_cli:continue_cmd",
    "refine": "spintorque.experiments.followup_cli:refine_cmd",
    "archive": "spintorque.experiments.followup_cli:archive_cmd",
    "compare": "spintorque.experiments.followup_cli:compare_cmd",
    "excursions": "spintorque.experiments.followup_cli:excursions_cmd",
    "model-difference": "spintorque.experiments.model_difference:main",
    "pma-pillar": "spintorque.experiments.pma_cli:pma_pillar",
    "hysteresis": "spintorque.hysteresis:hysteresis_cmd",
    "export": "spintorque.export_cli:export",
}

#: exit status for bad user input (as click uses for usage errors)
EXIT_USER_ERROR = 2
#: exit status for a run stopped by a numerical fault (message printed, checkpoint kept)
EXIT_RUN_FAILED = 1


def _module_exists(target: str) -> bool:
    module = target.split(":", 1)[0]
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _is_user_error(exc: BaseException) -> bool:
    if isinstance(exc, (UserError, FileNotFoundError)):
        return True
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return True
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    if isinstance(exc, tomllib.TOMLDecodeError):
        return True
    # by the project's convention our own code raises ValueError only for bad input (naming the
    # field, the value and what is allowed); a ValueError raised inside numpy or scipy is a bug
    return isinstance(exc, ValueError) and _raised_by_spintorque(exc)


def _raised_by_spintorque(exc: BaseException) -> bool:
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return Path(tb.tb_frame.f_code.co_filename).resolve().is_relative_to(_PACKAGE_DIR)


_PACKAGE_DIR = Path(__file__).resolve().parent


def _paragraph(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, FileNotFoundError) and exc.filename and not isinstance(exc, UserError):
        text = f"no such file: {exc.filename!r}"
    return text


class SpintorqueGroup(click.Group):
    """A click group with lazily imported commands and clean reporting of user errors."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        lazy = [name for name, target in LAZY_COMMANDS.items() if _module_exists(target)]
        return sorted({*super().list_commands(ctx), *lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in LAZY_COMMANDS:
            return command
        target = LAZY_COMMANDS[cmd_name]
        if not _module_exists(target):
            return None
        module, attr = target.split(":", 1)
        return getattr(importlib.import_module(module), attr, None)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:
            debug = bool(ctx.meta.get("spintorque.debug"))
            if _is_user_error(exc):
                if debug:
                    traceback.print_exc()
                hint = ""
                if type(exc) is ValueError and not debug:  # could still be a bug: say how to see
                    hint = " (spintorque --debug shows where it was raised)"
                click.echo(f"error: {_paragraph(exc)}{hint}", err=True)
                ctx.exit(EXIT_USER_ERROR)
            if any(cls.__name__ == "SimulationError" for cls in type(exc).__mro__):
                if debug:
                    traceback.print_exc()
                click.echo(f"run stopped: {_paragraph(exc)}", err=True)
                ctx.exit(EXIT_RUN_FAILED)
            raise


@click.group(cls=SpintorqueGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="spintorque")
@click.option("--debug", is_flag=True, help="Show tracebacks for input errors too.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Spin-transfer torque in magnetic multilayers (micromagnetics + spin transport)."""
    ctx.meta["spintorque.debug"] = debug


_CONFIG = click.Path(dir_okay=False, path_type=Path)


@main.command()
@click.argument("config", type=_CONFIG)
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (table.tsv, snapshots, checkpoints); an unfinished run there resumes.",
)
@click.option("--restart", is_flag=True, help="Discard the run that the output folder holds.")
@click.option("--threads", type=click.IntRange(1, 1024), default=None,
              help="Compute threads: FFTW threads of the stray field (BLAS stays at 1); "
                   "default: the config's run.threads, 1 unless set.")
@click.option("--precision", type=click.Choice(["float64", "float32"]), default=None,
              help="Precision of the stray field's FFT convolution; default: the config's "
                   "run.precision, float64 unless set.")
def run(config: Path, out_dir: Path, restart: bool, threads: int | None,
        precision: str | None) -> None:
    """Relax and run the simulation described by CONFIG (a TOML file).

    Running again on the folder of an unfinished run resumes it; a finished run is not redone.
    """
    from .config import load_config

    cfg = load_config(config)
    from .simulation import run_config  # imported here: validate and --help stay fast

    options: dict[str, Any] = {}  # only what was given: the defaults stay run_config's
    if restart:
        options["restart"] = True
    if threads is not None:
        options["threads"] = threads
    if precision is not None:
        options["precision"] = precision
    run_config(cfg, out_dir, **options)


@main.command()
@click.argument("config", type=_CONFIG)
def validate(config: Path) -> None:
    """Check CONFIG without running it and print a summary (grid, layers, memory)."""
    from .config import load_config

    cfg = load_config(config)
    click.echo(summary(cfg, str(config)))


def summary(cfg: Any, source: str = "config") -> str:
    """Human-readable summary of a validated RunConfig: grid, layers, terms, run, memory."""
    from .io.memory import available_memory, format_bytes, memory_breakdown

    nx, ny, nz = cfg.grid_shape
    cell = "x".join(f"{c * 1e9:.4g}" for c in cfg.mesh.cell)
    size = "x".join(f"{s * 1e9:.4g}" for s in cfg.mesh.size)
    lines = [f"{source}: valid" + (f"  ({cfg.title})" if cfg.title else "")]
    lines.append(f"  grid      {nx} x {ny} x {nz} = {nx * ny * nz} cells of {cell} nm "
                 f"(sample {size} nm)")
    lines.append("  layers    (bottom to top)")
    for (name, k0, k1), layer in zip(cfg.layer_cells(), cfg.layer, strict=True):
        mat = cfg.material[layer.material]
        kind = f"Ms = {mat.Ms:.4g} A/m" if mat.magnetic else "non-magnetic"
        init = f", initial {layer.initial.kind}" if layer.initial is not None else ""
        shape = f", {layer.shape.kind} shape" if getattr(layer, "shape", None) else ""
        lines.append(f"    {name:<12} {layer.thickness * 1e9:8.4g} nm  z cells {k0}..{k1 - 1}  "
                     f"material {layer.material!r} ({kind}){init}{shape}")
    for reg in getattr(cfg, "region", []):  # [[region]] tables, placed over the layers
        where = f"{reg.shape.kind} shape" if reg.shape is not None else "mask file"
        z = "all z" if reg.z is None else f"z {reg.z[0] * 1e9:.4g}..{reg.z[1] * 1e9:.4g} nm"
        lines.append(f"    region {reg.name:<12} {where}, {z}, material {reg.material!r}")
    terms = ["exchange"]
    used = [cfg.material[key] for key in {la.material for la in cfg.layer}
            | {reg.material for reg in getattr(cfg, "region", [])}]
    magnets = [mat for mat in used if mat.magnetic]
    for label, key in (("anisotropy", "Ku"), ("interfacial DMI", "Dind"), ("bulk DMI", "Dbulk")):
        if any(getattr(mat, key) != 0 for mat in magnets):
            terms.append(label)
    if any(mat.Kc1 != 0 or mat.Kc2 != 0 for mat in magnets):
        terms.append("cubic anisotropy")
    if any(mat.frozen for mat in magnets):
        terms.append("frozen " + ", ".join(sorted(k for k, m in cfg.material.items()
                                                   if m.frozen and m in magnets)))
    if getattr(cfg, "interlayer", None):
        terms.append("interlayer (" + ", ".join(f"{'/'.join(c.pair)} J1 = {c.J1:.4g}, J2 = "
                                                f"{c.J2:.4g} J/m^2" for c in cfg.interlayer) + ")")
    if cfg.field is not None:
        terms.append("zeeman" + (f" ({cfg.field.time.kind})" if cfg.field.time else ""))
    if cfg.demag.enabled:
        terms.append("demag")
    if cfg.transport.model != "none":
        j = cfg.transport.current_density
        j_text = f"{j:.4g}" if isinstance(j, float) else "(" + ", ".join(f"{v:.4g}" for v in j)
        j_text += "" if isinstance(j, float) else ")"
        terms.append(f"transport {cfg.transport.model} (j = {j_text} A/m^2)")
    terms += [f"torque {k}" for k in ("zhang_li", "slonczewski") if getattr(cfg.torque, k)]
    if getattr(cfg, "thermal", None) is not None and (cfg.thermal.T > 0 or cfg.thermal.per_region):
        terms.append(f"thermal (T = {cfg.thermal.T:g} K, seed {cfg.thermal.seed})")
    if getattr(cfg, "pulse", None) is not None:
        pulse = cfg.pulse.shape()
        terms.append(f"current pulse ({pulse.fwhm * 1e9:.4g} ns FWHM from {pulse.start:.4g} s)")
    lines.append("  terms     " + ", ".join(terms))
    relax = f"relax {cfg.relax.method}, then " if cfg.relax.enabled else ""
    lines.append(f"  run       {relax}{cfg.run.duration:.4g} s with {cfg.run.integrator}, "
                 f"a table row every {cfg.run.output_every:.4g} s")
    parts = memory_breakdown(cfg)
    have = available_memory()
    avail = f" of {format_bytes(have)} available" if have is not None else ""
    detail = ", ".join(f"{k} {format_bytes(v)}" for k, v in parts.items())
    lines.append(f"  memory    {format_bytes(sum(parts.values()))} estimated{avail} ({detail})")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - `python -m spintorque.cli`
    main()
