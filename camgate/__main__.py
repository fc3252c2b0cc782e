from camgate.cli import main

raise SystemExit(main())
