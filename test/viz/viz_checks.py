"""What check_trace.py and check_html.py share: the arguments, the check counter, the data and work dirs."""
import os
import shutil
import sys


class Checks:
    def __init__(self, name):
        self.name, self.count = name, 0
        self.trainvp, self.root, self.work = (os.path.abspath(a) for a in sys.argv[1:4])

    def __call__(self, cond, what):
        self.count += 1
        if not cond:
            print("FAIL:", what)
            sys.exit(1)

    def fresh_work_dir(self):
        """Fails unless the MNIST files are there (the quick scenario trains on them); empties WORK_DIR."""
        self(os.path.exists(os.path.join(self.root, "data/mnist/train-images-idx3-ubyte")),
             "data/mnist missing (run scripts/fetch-mnist.sh)")
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)

    def done(self, extra=""):
        print(f"{self.name}: {self.count} checks passed{extra}")
