"""The README's Python example runs as written, and its set-up commands are the ones CI uses."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_examples_compile_and_the_body_example_runs():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no python example"
    for code in blocks:  # every example at least compiles
        compile(code, "README.md", "exec")
    scope: dict = {}  # the self-contained body + spine example runs
    exec(compile(blocks[-1], "README.md", "exec"), scope)
    assert tuple(scope["positions"].shape) == (1, 25, 3)
    assert tuple(scope["frames"].shape) == (1, 25, 3, 3)


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (ROOT / "README.md").read_text()
    bash = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    assert len(bash) == 2, "README keeps exactly two set-up commands"
    test_cmd = bash[1].strip()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_cmd in ci
