"""The shared conformance suite (host-tests/cases), one test per case.

Cases mostly wait on sockets and deadlines (some ~1 s on purpose), so the
selected cases run concurrently in a thread pool as soon as the first one is
needed, and each test then reports its own case.  That also exercises many
clients calling the component from many threads at once.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

import conformance

CASES = conformance.list_cases()
JOBS = int(os.environ.get("TS_CONFORMANCE_JOBS", "8"))


@pytest.fixture(scope="session")
def results(request):
    selected = [item.callspec.params["case"] for item in request.session.items
                if getattr(item, "originalname", None) == "test_case"]
    with ThreadPoolExecutor(JOBS) as pool:
        yield {c["name"]: pool.submit(conformance.run_case, c) for c in selected}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case, results):
    problems = results[case["name"]].result(timeout=300)
    assert problems == [], f"{case['about']}\n{json.dumps(case['call'])}"


def test_suite_is_not_empty():
    assert len(CASES) >= 100
