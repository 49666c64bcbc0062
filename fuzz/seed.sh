#!/usr/bin/env bash
# Seeds the fuzz corpus with every test vector (valid and invalid) of spec/vectors/.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/parse
cp ../spec/vectors/valid/*.nsdf ../spec/vectors/invalid/*.nsdf corpus/parse/
echo "seeded corpus/parse with $(ls corpus/parse | wc -l) files"
