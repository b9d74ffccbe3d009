import sys

from dcgan_studio.cli import main

sys.exit(main())
