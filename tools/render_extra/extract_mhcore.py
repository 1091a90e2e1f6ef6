"""Write a work tree of a (partial) bare git repository, skipping blobs that the snapshot lacks
(`git archive` stops at the first missing blob; the stored makehuman-core snapshot misses 22 of
2226 files, large textures that these characters do not use).

    python3 extract_mhcore.py GIT_DIR OUT_DIR [REV]
"""
import os
import subprocess
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit("error: usage: extract_mhcore.py GIT_DIR OUT_DIR [REV]")
    gd, out = sys.argv[1], sys.argv[2]
    rev = sys.argv[3] if len(sys.argv) > 3 else "HEAD"
    ls = subprocess.run(["git", "--git-dir", gd, "ls-tree", "-r", rev], capture_output=True, text=True, check=True).stdout.splitlines()
    ents = []
    for line in ls:
        meta, path = line.split("\t", 1)
        _mode, typ, sha = meta.split()
        if typ == "blob":
            ents.append((sha, path))
    p = subprocess.Popen(["git", "--git-dir", gd, "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    missing = []
    for sha, path in ents:
        p.stdin.write((sha + "\n").encode()); p.stdin.flush()
        hdr = p.stdout.readline().decode().split()
        if hdr[-1] == "missing":
            missing.append(path); continue
        data = p.stdout.read(int(hdr[2])); p.stdout.read(1)
        fp = os.path.join(out, path)
        os.makedirs(os.path.dirname(fp), exist_ok=True)
        with open(fp, "wb") as f:
            f.write(data)
    p.stdin.close(); p.wait()
    print("%d files, %d missing" % (len(ents), len(missing)))
    for path in missing:
        print("  missing:", path)


if __name__ == "__main__":
    main()
