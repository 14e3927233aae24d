"""Stand-in for pip's get-pip.py bootstrap script, which ansible-test downloads from a host this
machine cannot reach. It takes the same arguments (those of `pip install`): the pip bundled with
Python (ensurepip) installs the requested pip from the package index instead."""
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"], stdout=subprocess.DEVNULL)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
