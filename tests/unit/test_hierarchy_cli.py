"""``spintorque hierarchy STUDY --out DIR`` wiring."""

from click.testing import CliRunner

from spintorque.cli import main


def test_hierarchy_command_writes_table_and_figure(tmp_path):
    res = CliRunner().invoke(
        main, ["hierarchy", "moment-diffusion", "--out", str(tmp_path), "--quick"]
    )
    assert res.exit_code == 0, res.output
    for ext in ("csv", "md", "png"):
        assert (tmp_path / f"moment-diffusion.{ext}").stat().st_size > 0
    assert "rate" in (tmp_path / "moment-diffusion.md").read_text()


def test_hierarchy_command_rejects_unknown_study(tmp_path):
    res = CliRunner().invoke(main, ["hierarchy", "nope", "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "nope" in res.output
