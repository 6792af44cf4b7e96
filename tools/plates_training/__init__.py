"""Training code for the plate recogniser (needs torch and Pillow; not used at run time)."""
