"""Settlement: meter readings, what each member owes or earns per interval, statements, cluster
KPIs."""
