#!/usr/bin/env bash
# Build llama.cpp's own llama-server from the llama.cpp sources vendored in the
# llama-cpp-python sdist we pin, so that serve_figures.py compares ParrotChat with the
# same llama.cpp. Benchmark set-up only, not CI. Prints the binary's path.
#   tests/benchmarks/build_llama_server.sh [WORK_DIR]   (default: build/llama-server)
set -euo pipefail
python=${PYTHON:-.venv/bin/python}
python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")"  # absolute, venv kept
version=$("$python" -c "import llama_cpp; print(llama_cpp.__version__)")
work=${1:-build/llama-server}
mkdir -p "$work"
cd "$work"
sdist="llama_cpp_python-$version.tar.gz"
if [ ! -f "$sdist" ]; then
  "$python" -m pip download --quiet --no-deps --no-binary :all: "llama-cpp-python==$version" -d .
fi
if [ ! -d "llama_cpp_python-$version" ]; then
  tar xzf "$sdist" "llama_cpp_python-$version/vendor/llama.cpp"
fi
# The same CPU choices as the wheel pip built for the engine (native, no CUDA, no curl).
cmake -S "llama_cpp_python-$version/vendor/llama.cpp" -B build -DCMAKE_BUILD_TYPE=Release \
  -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON >/dev/null
cmake --build build --target llama-server -j "${JOBS:-$(nproc)}" >/dev/null
echo "$PWD/build/bin/llama-server"
