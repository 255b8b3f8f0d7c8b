"""What a calculation is: nodes, their interning and walks, shapes. No arithmetic here."""
