_base_ = ['./setr_vpt-deep-p10_vit-l16-in21k_pup_8xb2-160k_ade20k-512x512.py']
