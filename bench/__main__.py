"""`make bench`: every benchmark, each printing its own table of figures."""

import importlib

BENCHMARKS = ["bench.load_bench", "bench.analysis_bench", "bench.export_bench", "bench.publish_bench"]


def main() -> None:
    """Run each benchmark module that exists, in order."""
    for name in BENCHMARKS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            print(f"{name}: not available yet")
            continue
        print(f"\n== {name} ==")
        module.main()


if __name__ == "__main__":
    main()
