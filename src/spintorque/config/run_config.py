"""The whole run config, :class:`RunConfig`: one attribute per TOML table, the derived geometry
(grid shape, layer cells, the material stack) and the hook that runs the cross-field rules of
:mod:`.checks` after every table has validated."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, Strict, ValidationInfo, model_validator

from ..materials import Material
from .base import Name, SchemaModel, raise_if
from .cell_values import CellValuesConfig, cell_values_problems
from .checks import cross_problems
from .current import CurrentConfig, current_problems
from .geometry import RegionConfig
from .hysteresis import HysteresisConfig
from .interlayer import InterlayerConfig
from .pulse import PulseConfig
from .sections import (
    DemagConfig,
    ExchangeConfig,
    FieldConfig,
    LayerConfig,
    MaterialConfig,
    MeshConfig,
    RelaxConfig,
    RunParams,
    TorqueConfig,
    TransportConfig,
)
from .switching import SwitchingConfig
from .thermal import ThermalConfig

__all__ = ["RunConfig"]


class RunConfig(SchemaModel):
    """A whole run: ``RunConfig.model_validate(toml_dict)`` or :func:`load_config`.

    Validation context (``model_validate(d, context=...)``): ``base_dir`` resolves relative
    ``initial.file`` paths; ``check_memory=False`` skips the memory guard.
    """

    title: Annotated[str, Strict(), Field(max_length=200)] | None = Field(
        None, description="free text, at most 200 characters"
    )
    mesh: MeshConfig = Field(description="[mesh] table with cell and size")
    layer: list[LayerConfig] = Field(
        min_length=1, max_length=1000, description="[[layer]] tables, 1 to 1000, bottom to top"
    )
    region: list[RegionConfig] = Field(
        default_factory=list, max_length=1000, description="[[region]] tables: a material on "
        "the cells of a shape or mask within a z range, over the layers; omitted = none")
    material: dict[Name, MaterialConfig] = Field(
        min_length=1, max_length=1000, description="[material.<key>] tables, 1 to 1000"
    )
    field: FieldConfig | None = Field(None, description="[field] table; omitted = no field")
    demag: DemagConfig = Field(default_factory=DemagConfig, description="[demag] table")
    exchange: ExchangeConfig = Field(default_factory=ExchangeConfig, description="[exchange]")
    transport: TransportConfig = Field(default_factory=TransportConfig, description="[transport]")
    torque: TorqueConfig = Field(default_factory=TorqueConfig, description="[torque.*] tables")
    current: CurrentConfig | None = Field(
        None, description="[current] table: charge current from contacts; omitted = the uniform "
        "[transport].current_density"
    )
    pulse: PulseConfig | None = Field(
        None, description="[pulse] table: time form of every current; omitted = on from t = 0"
    )
    switching: SwitchingConfig | None = Field(
        None, description="[switching] table: read the switching time; omitted = not read"
    )
    interlayer: list[InterlayerConfig] = Field(
        default_factory=list, max_length=1000,
        description="[[interlayer]] tables: RKKY coupling across a spacer; omitted = none")
    hysteresis: HysteresisConfig | None = Field(
        None, description="[hysteresis] table: the sweep of `spintorque hysteresis`")
    cell_values: list[CellValuesConfig] = Field(
        default_factory=list, max_length=1000,
        description="[[cell_values]] tables: per-cell values of a material parameter from a "
        "file; omitted = the materials' values")
    thermal: ThermalConfig | None = Field(
        None, description="[thermal] table: temperature and seed of the thermal field; "
        "omitted = 0 K")
    relax: RelaxConfig = Field(default_factory=RelaxConfig, description="[relax] table")
    run: RunParams = Field(description="[run] table with at least duration and output_every")

    # -- derived geometry (valid only after validation) -------------------------------------
    @property
    def grid_shape(self) -> tuple[int, int, int]:
        """Cells ``(nx, ny, nz)`` of the grid."""
        cell, size = self.mesh.cell, self.mesh.size
        nz = sum(round(layer.thickness / cell[2]) for layer in self.layer)
        return round(size[0] / cell[0]), round(size[1] / cell[1]), nz

    @property
    def ncells(self) -> int:
        nx, ny, nz = self.grid_shape
        return nx * ny * nz

    def layer_cells(self) -> list[tuple[str, int, int]]:
        """``(name, k0, k1)`` z-cell range of every layer, bottom first."""
        out, k0 = [], 0
        for layer in self.layer:
            k = round(layer.thickness / self.mesh.cell[2])
            out.append((layer.name, k0, k0 + k))
            k0 += k
        return out

    def stack(self) -> list[tuple[str, float, Material]]:
        """Layers as ``(name, thickness [m], Material)`` for ``Sample.stack``, bottom first."""
        return [
            (layer.name, layer.thickness, self.material[layer.material].to_material(layer.material))
            for layer in self.layer
        ]

    # -- cross-field rules ------------------------------------------------------------------
    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> RunConfig:
        raise_if(current_problems(self) or cross_problems(self, info.context or {})
                 or cell_values_problems(self))
        return self
