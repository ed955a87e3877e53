"""Inter-coder agreement in the app: the codes with their figures, worst
first (screen.AgreementScreen), and the places two coders differ on a code,
side by side, where a reconciling coder adopts a version
(screen.DisagreementsScreen)."""
