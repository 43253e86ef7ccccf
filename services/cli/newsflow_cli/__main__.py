from newsflow_cli.main import main

# Guarded: a process started with multiprocessing's "spawn" imports the parent's main module
# again, and must not run the command line a second time.
if __name__ == "__main__":
    raise SystemExit(main())
