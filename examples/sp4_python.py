"""muMAG standard problem 4 (field 1) set up in Python: the same run as
``spintorque run examples/sp4_field1.toml``, with the same table, OVF files and checkpoints.

    python examples/sp4_python.py [OUT_DIR]      # default runs/sp4-python; about 4 s

Permalloy film 500 nm × 125 nm × 3 nm in 5 nm × 5 nm × 3 nm cells, relaxed from
m0 = (1, 0.25, 0.1) at zero field, then switched by μ0H = (−24.6, 4.3, 0) mT for 1 ns with a
table row every 1 ps. Prints ⟨m⟩ [1] at the end.
"""

import sys

import spintorque as st


def main(out: str = "runs/sp4-python") -> st.Problem:
    py = st.Material("py", Ms=8.0e5, A=1.3e-11, alpha=0.02)  # A/m, J/m, 1
    sample = st.Sample.box((500e-9, 125e-9, 3e-9), cell=(5e-9, 5e-9, 3e-9), material=py,
                           name="film")
    problem = st.Problem(sample, m0=(1.0, 0.25, 0.1),
                         terms=[st.Exchange(sample), st.Demag(sample)],
                         drives=[st.Zeeman(sample, B=(-24.6e-3, 4.3e-3, 0.0))],  # T, at t >= 0
                         relaxation=st.Relaxation("minimize"))
    result = st.run(problem, 1e-9, output_every=1e-12, out=out)
    print("<m> at 1 ns:", sample.average(result.m))
    return problem


if __name__ == "__main__":
    main(*sys.argv[1:2])
