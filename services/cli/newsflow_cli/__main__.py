from newsflow_cli.main import main

raise SystemExit(main())
