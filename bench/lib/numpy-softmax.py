"""numpy baseline for bench/kernel.bench.ts: the same transforms and softmax on the same matrix.

argv: matrix.f32 (count x n little-endian float32), model dir, repeats. Prints one JSON line.
Run by the bench with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset and one BLAS thread.
"""
import ctypes
import json
import os
import re
import sys
import time

import numpy as np

matrix_path, model_dir, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
schema = json.load(open(os.path.join(model_dir, 'feature_schema.json')))
features = schema['features']
W = np.load(os.path.join(model_dir, 'weights.npy')).astype(np.float64)  # [n_features, n_classes]
b = np.load(os.path.join(model_dir, 'bias.npy')).astype(np.float64)
steps = []
if os.path.exists(os.path.join(model_dir, 'transforms.json')):
    steps = json.load(open(os.path.join(model_dir, 'transforms.json')))['transforms']
X = np.fromfile(matrix_path, dtype='<f4').reshape(-1, len(features))


def score(X):
    z = X.astype(np.float64)
    for s in steps:
        j = features.index(s['feature'])
        if s['op'] == 'log1p':
            z[:, j] = np.log1p(np.maximum(z[:, j], 0.0))
        elif s['op'] == 'log':
            z[:, j] = np.log(np.maximum(z[:, j] + s.get('offset', 0.0), 1e-12))
        elif s['op'] == 'clip':
            z[:, j] = np.clip(z[:, j], s.get('min'), s.get('max'))
        else:
            raise ValueError(s['op'])
    logits = z @ W + b
    logits -= logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=1, keepdims=True)
    return logits.astype(np.float32), logits.argmax(axis=1).astype(np.uint8)


score(X[:1000])
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    probs, classes = score(X)
    times.append(time.perf_counter() - t0)

maps = open('/proc/self/maps').read()
blas = sorted(set(re.findall(r'(/\S*(?:blas|lapack)\S*\.so\S*)', maps)))
kernel = 'unknown'
for lib in blas:
    try:
        get = ctypes.CDLL(lib).openblas_get_corename
        get.restype = ctypes.c_char_p
        kernel = 'OpenBLAS core ' + get().decode()
        break
    except (OSError, AttributeError):
        continue
else:
    if blas:
        kernel = 'no OpenBLAS: ' + ', '.join(os.path.realpath(l) for l in blas)
print(json.dumps({
    'numpy': np.__version__,
    'python': sys.executable,
    'count': int(X.shape[0]),
    'best_seconds': min(times),
    'median_seconds': sorted(times)[len(times) // 2],
    'blas': kernel,
    'checksum_class_counts': np.bincount(classes, minlength=W.shape[1]).tolist(),
    'first_probabilities': probs[0].tolist(),
}))
